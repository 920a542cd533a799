/**
 * SIGTERM while engines flood the server with batches: the real bin drains what it accepted and exits 0, and
 * no batch is half-stored — every session's head is its last stored event, its events are exactly 1..head,
 * and every batch the server acknowledged is there.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, chain, postBatch, sessionId } from '../../helpers/team-chain.js';
import { startTeamSetup, type TeamSetup } from '../../helpers/team-server.js';

let team: TeamSetup;
let alice: string;

beforeAll(async () => {
  team = await startTeamSetup();
  alice = await team.tokenFor('alice');
}, 120_000);
afterAll(async () => {
  await team?.stop();
});

const SESSIONS = 8;
const BATCH = 100;

/** Posts consecutive batches of `id` until the server stops answering 200; resolves with the last acked head. */
async function flood(
  url: string,
  id: string,
  started: () => void,
): Promise<{ acked: number; refusals: string[] }> {
  const events = chain(id, BATCH * 400);
  let acked = 0;
  const refusals: string[] = [];
  for (let from = 0; from < events.length; from += BATCH) {
    try {
      const answer = await postBatch(url, id, batch(events.slice(from, from + BATCH)), alice);
      if (answer.status !== 200) {
        refusals.push(`${answer.status} ${String(answer.body.error)}`);
        break;
      }
      acked = (answer.body.head as { seq: number }).seq;
      if (acked >= BATCH * 3) started();
    } catch (error) {
      refusals.push(`fetch: ${(error as Error).message}`);
      break;
    }
  }
  return { acked, refusals };
}

describe('graceful stop', () => {
  it('exits 0 on SIGTERM during a flood of batches, with no batch half-stored', async () => {
    const ids = Array.from({ length: SESSIONS }, (_, i) => sessionId(`flood${i}`));
    let going = 0;
    let onGoing: () => void = () => undefined;
    const allGoing = new Promise<void>((resolve) => {
      onGoing = resolve;
    });
    const counted = new Set<string>();
    const floods = ids.map((id) =>
      flood(team.server.url, id, () => {
        counted.add(id);
        if (counted.size === SESSIONS && going++ === 0) onGoing();
      }),
    );
    await allGoing;
    const code = await team.server.stop();
    const results = await Promise.all(floods);
    expect(code).toBe(0);
    expect(team.server.errors()).toBe('');
    expect(team.server.logs().some((l) => l.msg === 'stopping' && l.signal === 'SIGTERM')).toBe(true);
    // Every flood was cut by the stop, not by a refusal of its chain.
    for (const result of results) {
      expect(result.refusals).toHaveLength(1);
      expect(result.refusals[0]).toMatch(/^fetch: |^503 unavailable/);
    }

    const db = new pg.Client({ connectionString: team.pg.superuserUrl });
    await db.connect();
    try {
      const rows = (
        await db.query<{
          id: string;
          head_seq: number;
          head_hash: string;
          n: string;
          max: string;
          last_hash: string;
        }>(
          `SELECT s.id, s.head_seq, s.head_hash, count(e.seq) AS n, max(e.seq) AS max,
                  (SELECT hash FROM events WHERE session_id = s.id AND seq = s.head_seq) AS last_hash
           FROM sessions s LEFT JOIN events e ON e.session_id = s.id
           WHERE s.id = ANY($1) GROUP BY s.id`,
          [ids],
        )
      ).rows;
      expect(rows).toHaveLength(SESSIONS);
      for (const row of rows) {
        const result = results[ids.indexOf(row.id)]!;
        const head = Number(row.head_seq); // bigint: a string from pg
        expect(Number(row.max)).toBe(head);
        expect(Number(row.n)).toBe(head);
        expect(row.last_hash).toBe(row.head_hash);
        expect(head % BATCH).toBe(0); // whole batches only
        expect(head).toBeGreaterThanOrEqual(result.acked); // nothing acknowledged was lost
        expect(head).toBeLessThanOrEqual(result.acked + BATCH); // at most the batch cut mid-answer
      }
    } finally {
      await db.end();
    }
  }, 180_000);
});
