/**
 * `/v1/live` with a token that lives longer than a Node timer can wait (2^31 − 1 ms, about 24.8 days: some
 * providers issue ID tokens or access tokens for a month). The socket must stay open and carry notices until
 * the token expires, not close at once with 4401 (a timer past that limit fires immediately), which sends the
 * engine into a reconnect loop. Real server bin, real PostgreSQL, real provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { batch, chain, postBatch, sessionId } from '../../helpers/team-chain.js';
import { startTeamSetup, type TeamSetup } from '../../helpers/team-server.js';

const THIRTY_DAYS_S = 30 * 86_400;

let team: TeamSetup;
let alice: string;

beforeAll(async () => {
  team = await startTeamSetup({ accessTokenTtl: THIRTY_DAYS_S });
  alice = await team.tokenFor('alice');
}, 180_000);
afterAll(async () => {
  await team?.stop();
});

describe('the live stream with a month-long token', () => {
  it('stays open and carries the session notice', async () => {
    const socket = new WebSocket(`${team.server.url.replace(/^http/, 'ws')}/v1/live`, {
      headers: { authorization: `Bearer ${alice}` },
    });
    const messages: Array<{ type?: string; session_id?: string }> = [];
    let closed: number | undefined;
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as { type?: string }));
    socket.on('close', (code) => {
      closed = code;
    });
    try {
      await expect.poll(() => messages.some((m) => m.type === 'hello'), { timeout: 30_000 }).toBe(true);
      const id = sessionId('long-token');
      const answer = await postBatch(team.server.url, id, batch(chain(id, 3)), alice);
      expect(answer.status).toBe(200);
      await expect
        .poll(
          () => messages.some((m) => m.type === 'session' && m.session_id === id) || closed !== undefined,
          {
            timeout: 30_000,
          },
        )
        .toBe(true);
      expect(closed).toBeUndefined();
      expect(messages.filter((m) => m.type === 'session').map((m) => m.session_id)).toEqual([id]);
    } finally {
      socket.close();
    }
  }, 120_000);
});
