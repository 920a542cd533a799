/**
 * The server's authentication edge cases against the real bin, real provider and real PostgreSQL: no token,
 * an expired token, a token for another audience (an ID token), garbage → 401 with a protocol error body and
 * a WWW-Authenticate challenge (RFC 6750 §3); a person who is not an auditor cannot read another's session
 * head (403). The logs are JSON lines with a reqId and never carry the Authorization header or a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, chain, getHead, postBatch, sessionId } from '../../helpers/team-chain.js';
import { idTokenFor, startTeamSetup, type TeamSetup } from '../../helpers/team-server.js';

/** Access token lifetime (s); the server allows 5 s of clock skew on top. */
const TTL = 10;
let team: TeamSetup;
const tokens: string[] = [];

beforeAll(async () => {
  team = await startTeamSetup({ accessTokenTtl: TTL });
}, 120_000);
afterAll(async () => {
  await team?.stop();
});

async function token(login: string): Promise<string> {
  const value = await team.tokenFor(login);
  tokens.push(value);
  return value;
}

function expectUnauthorized(answer: { status: number; body: Record<string, unknown>; headers: Headers }) {
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({ error: 'unauthorized', message: expect.any(String) });
  return answer;
}

describe('authentication', () => {
  it('answers a request without a token with 401 and a challenge without an error code (RFC 6750 §3.1)', async () => {
    const answer = expectUnauthorized(await getHead(team.server.url, sessionId('authnone'), undefined));
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="glassbox-server"');
    expect(answer.body.message).toMatch(/Authorization: Bearer/);
  });

  it('refuses garbage, another audience (an ID token) and an expired token with invalid_token', async () => {
    const id = sessionId('authbad');
    const garbage = expectUnauthorized(await getHead(team.server.url, id, 'not.a.jwt'));
    expect(garbage.headers.get('www-authenticate')).toBe(
      'Bearer realm="glassbox-server", error="invalid_token", error_description="the token is not valid"',
    );
    const idToken = await idTokenFor(team.provider, 'alice');
    tokens.push(idToken);
    const audience = expectUnauthorized(await getHead(team.server.url, id, idToken));
    expect(audience.body.message).toMatch(/audience/);
    expect(audience.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);

    const soon = await token('alice');
    expect((await postBatch(team.server.url, id, batch(chain(id, 1)), soon)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, (TTL + 6) * 1000));
    const expired = expectUnauthorized(await getHead(team.server.url, id, soon));
    expect(expired.body.message).toMatch(/expired/);
    expect(expired.headers.get('www-authenticate')).toBe(
      'Bearer realm="glassbox-server", error="invalid_token", error_description="the token has expired"',
    );
  }, 60_000);

  it("refuses a person who is not an auditor another's session head (403)", async () => {
    const id = sessionId('authowner');
    const [alice, bob] = [await token('alice'), await token('bob')];
    expect((await postBatch(team.server.url, id, batch(chain(id, 2)), alice)).status).toBe(200);
    const answer = await getHead(team.server.url, id, bob);
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: 'forbidden', message: expect.stringContaining(id) });
  });

  it('logs JSON lines with a reqId and never the Authorization header or a token', async () => {
    const alice = await token('alice');
    const response = await fetch(`${team.server.url}/v1/sessions/${sessionId('authlog')}/head`, {
      headers: { authorization: `Bearer ${alice}`, 'x-request-id': 'trace-me-42' },
    });
    expect(response.status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const lines = team.server.logs();
    const requests = lines.filter((l) => l.msg === 'incoming request');
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const line of requests) expect(line.reqId).toEqual(expect.any(String));
    expect(requests.some((l) => l.reqId === 'trace-me-42')).toBe(true);
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + team.server.errors();
    expect(text).not.toMatch(/authorization/i);
    expect(text).not.toMatch(/bearer/i);
    expect(tokens.length).toBeGreaterThan(3);
    for (const secret of tokens) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.split('.')[2]!); // not even the signature
    }
  });
});
