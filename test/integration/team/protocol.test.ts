/**
 * The mirroring protocol against the real server bin on a real PostgreSQL with tokens from a real OIDC
 * provider: a chain stored and its head read back, an identical resend accepted once, a gap answered with the
 * head, a different hash at a stored seq refused and raised as an integrity alert, a broken chain refused at
 * its first bad seq, and tokens checked (none, another audience, garbage).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBatch } from '../../../proxy/sync/protocol.js';
import { batch, chain, getHead, postBatch } from '../../helpers/team-chain.js';
import { idTokenFor, startTeamSetup, type TeamSetup } from '../../helpers/team-server.js';

let team: TeamSetup;
let alice: string;
let bob: string;

beforeAll(async () => {
  team = await startTeamSetup();
  alice = await team.tokenFor('alice');
  bob = await team.tokenFor('bob');
}, 120_000);
afterAll(async () => {
  await team?.stop();
});

/** POST /v1/sessions/:id/events as `token` (alice by default). */
function post(id: string, body: EventBatch, token = alice) {
  return postBatch(team.server.url, id, body, token);
}

/** GET /v1/sessions/:id/head as `token` (alice by default). */
function head(id: string, token = alice) {
  return getHead(team.server.url, id, token);
}

describe('mirroring protocol', () => {
  it('stores a chain, accepts an identical resend once, and answers a gap with its head', async () => {
    const id = '01JTESTSESSIONAAAAAAAAAAAA';
    expect((await head(id)).status).toBe(404);
    const events = chain(id, 10);
    const first = await post(id, batch(events.slice(0, 6)));
    expect(first.status).toBe(200);
    expect(first.body.head).toEqual({ seq: 6, hash: events[5]!.hash });
    const resend = await post(id, batch(events.slice(3, 10)));
    expect(resend.status).toBe(200);
    expect(resend.body).toMatchObject({ head: { seq: 10, hash: events[9]!.hash }, duplicates: 3 });
    expect((await head(id)).body).toEqual({ seq: 10, hash: events[9]!.hash });
    const gap = await post(id, batch(chain(id, 2, { from: 12, prev: events[9]!.hash })));
    expect(gap.status).toBe(409);
    expect(gap.body).toMatchObject({ error: 'gap', head: { seq: 10, hash: events[9]!.hash } });
  });

  it('refuses a different hash at a stored seq as an integrity alert, and a broken chain at its first bad seq', async () => {
    const id = '01JTESTSESSIONBBBBBBBBBBBB';
    const events = chain(id, 5);
    expect((await post(id, batch(events))).status).toBe(200);
    const altered = chain(id, 5).map((e) => (e.seq === 3 ? { ...e, hash: 'f'.repeat(64) } : e));
    const conflict = await post(id, batch(altered));
    expect(conflict.status).toBe(422);
    expect(conflict.body).toMatchObject({ error: 'hash_conflict', seq: 3, head: { seq: 5 } });
    expect(conflict.body.alert_id).toEqual(expect.any(Number));
    const tampered = chain(id, 4, { from: 6, prev: events[4]!.hash });
    (tampered[2]!.payload as { sql: string }).sql = 'DROP TABLE accounts';
    const broken = await post(id, batch(tampered));
    expect(broken.status).toBe(422);
    expect(broken.body).toMatchObject({ error: 'bad_chain', seq: 8, head: { seq: 5 } });
    expect((await head(id)).body).toMatchObject({ seq: 5 });
  });

  it('keeps alerting a session refused again and again only up to a cap, while still refusing every batch', async () => {
    const id = '01JTESTSESSIONEEEEEEEEEEEE';
    expect((await post(id, batch(chain(id, 3)))).status).toBe(200);
    const alerts: unknown[] = [];
    for (let i = 0; i < 25; i++) {
      const altered = chain(id, 3).map((e) =>
        e.seq === 2 ? { ...e, hash: i.toString(16).padStart(64, 'a') } : e,
      );
      const refused = await post(id, batch(altered));
      expect(refused.status).toBe(422);
      alerts.push(refused.body.alert_id);
    }
    expect(alerts.filter((a) => typeof a === 'number')).toHaveLength(20);
    expect(alerts.slice(20)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('believes only the token: another person cannot add to or read the head of a session', async () => {
    const id = '01JTESTSESSIONCCCCCCCCCCCC';
    expect((await post(id, batch(chain(id, 2)))).status).toBe(200);
    expect((await post(id, batch(chain(id, 2)), bob)).status).toBe(403);
    expect((await head(id, bob)).status).toBe(403);
  });

  it('refuses requests without a valid token for this audience', async () => {
    const id = '01JTESTSESSIONDDDDDDDDDDDD';
    const none = await fetch(`${team.server.url}/v1/sessions/${id}/head`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: string }).error).toBe('unauthorized');
    expect((await head(id, 'not.a.jwt')).status).toBe(401);
    // An ID token is signed by the same issuer but its audience is the client id, not the server.
    const idToken = await idTokenFor(team.provider, 'alice');
    const wrongAudience = await head(id, idToken);
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.body.message).toMatch(/audience/);
  });
});
