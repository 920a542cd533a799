/**
 * `--retention-days N` against the real bin on a real PostgreSQL: sessions whose last event is older than N
 * days go at start, with their events; sessions with a recent last event stay (even when they started long
 * ago); integrity alerts stay; the server logs how many it deleted.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, chain, getHead, postBatch, sessionId } from '../../helpers/team-chain.js';
import { spawnTeamServer, startTeamSetup, type TeamSetup } from '../../helpers/team-server.js';

let team: TeamSetup;
let alice: string;

beforeAll(async () => {
  team = await startTeamSetup();
  alice = await team.tokenFor('alice');
}, 120_000);
afterAll(async () => {
  await team?.stop();
});

const DAY_US = 86_400_000_000;

describe('retention', () => {
  it('deletes sessions whose last event is older than --retention-days, with their events, and keeps alerts', async () => {
    const now = Date.now() * 1000;
    const old = sessionId('retold');
    const oldAlerted = sessionId('retalert');
    const recent = sessionId('retnew');
    const longRunning = sessionId('retlong');
    const url = team.server.url;
    expect((await postBatch(url, old, batch(chain(old, 3, { ts: now - 40 * DAY_US })), alice)).status).toBe(
      200,
    );
    const alerted = chain(oldAlerted, 2, { ts: now - 35 * DAY_US });
    expect((await postBatch(url, oldAlerted, batch(alerted), alice)).status).toBe(200);
    const altered = alerted.map((e) => (e.seq === 2 ? { ...e, hash: 'e'.repeat(64) } : e));
    expect((await postBatch(url, oldAlerted, batch(altered), alice)).status).toBe(422);
    expect((await postBatch(url, recent, batch(chain(recent, 4, { ts: now - DAY_US })), alice)).status).toBe(
      200,
    );
    // Started 40 days ago, still recording yesterday: its last event counts, not its start.
    const first = chain(longRunning, 2, { ts: now - 40 * DAY_US });
    const later = chain(longRunning, 2, { from: 3, prev: first[1]!.hash, ts: now - DAY_US });
    expect(
      (await postBatch(url, longRunning, batch([...first, ...later], 'alice', now - 40 * DAY_US), alice))
        .status,
    ).toBe(200);

    const pruning = await spawnTeamServer({
      databaseUrl: team.pg.superuserUrl,
      issuer: team.provider.issuer,
      args: ['--retention-days', '30'],
    });
    try {
      const deadline = Date.now() + 30_000;
      let report: Record<string, unknown> | undefined;
      while (!report && Date.now() < deadline) {
        report = pruning.logs().find((l) => String(l.msg).startsWith('retention: deleted'));
        if (!report) await new Promise((r) => setTimeout(r, 50));
      }
      expect(report?.msg).toBe('retention: deleted 2 sessions');
      expect(report?.retention).toMatchObject({ sessions: 2, events: 5, days: 30 });

      expect((await getHead(pruning.url, old, alice)).status).toBe(404);
      expect((await getHead(pruning.url, oldAlerted, alice)).status).toBe(404);
      expect((await getHead(pruning.url, recent, alice)).body).toMatchObject({ seq: 4 });
      expect((await getHead(pruning.url, longRunning, alice)).body).toMatchObject({ seq: 4 });

      const db = new pg.Client({ connectionString: team.pg.superuserUrl });
      await db.connect();
      try {
        const events = await db.query<{ session_id: string; n: string }>(
          'SELECT session_id, count(*) AS n FROM events WHERE session_id = ANY($1) GROUP BY session_id ORDER BY session_id',
          [[old, oldAlerted, recent, longRunning]],
        );
        expect(Object.fromEntries(events.rows.map((r) => [r.session_id, Number(r.n)]))).toEqual({
          [recent]: 4,
          [longRunning]: 4,
        });
        const alerts = await db.query('SELECT kind FROM integrity_alerts WHERE session_id = $1', [
          oldAlerted,
        ]);
        expect(alerts.rows).toEqual([{ kind: 'hash_conflict' }]);
      } finally {
        await db.end();
      }
    } finally {
      expect(await pruning.stop()).toBe(0);
    }
  }, 120_000);

  it('refuses a retention that is not a positive number of days', async () => {
    const bad = await spawnTeamServer({
      databaseUrl: team.pg.superuserUrl,
      issuer: team.provider.issuer,
      args: ['--retention-days', '0'],
    }).catch((error: Error) => error);
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toMatch(/--retention-days: /);
  }, 60_000);
});
