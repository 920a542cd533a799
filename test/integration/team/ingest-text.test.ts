/**
 * What the server stores of events whose kind or searchable text is not well-formed Unicode (a lone UTF-16
 * surrogate, a NUL), against the real bin on a real PostgreSQL: the batch is accepted, the hash verified on the
 * payload as sent, the payload kept exactly, and the event found by its other words.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { canonicalJson, type EventBatch } from '../../../proxy/sync/protocol.js';
import { chainEvents, postBatch } from '../../helpers/team-chain.js';
import { startTeamSetup, type TeamSetup } from '../../helpers/team-server.js';

let team: TeamSetup;
beforeAll(async () => {
  team = await startTeamSetup();
}, 120_000);
afterAll(async () => {
  await team?.stop();
});

it('stores events with lone surrogates and NULs in their kind and text, payloads exact', async () => {
  const token = await team.tokenFor('carol');
  const id = 'odd-text-1';
  const payloads = [
    { sql: 'SELECT 1 AS lonely\ud800surrogate, \u0000 AS nul FROM marmalade' },
    { sql: 'SELECT 2 FROM marmalade \udc00' },
    { note: 'no text' },
  ];
  const kinds = ['pg.statement', 'pg.statement', 'odd\udc00kind'];
  const events = chainEvents(
    id,
    payloads.map((payload, i) => ({ ts: 1_765_000_000_000_000 + i + 1, kind: kinds[i]!, payload })),
  );
  const batch: EventBatch = {
    session: {
      kind: 'postgres',
      target: 'shop',
      client: 'psql',
      identity: { subject: null, email: null, groups: [], verified: false, os_user: 'dev', host: 'laptop' },
      started_at: 1_765_000_000_000_000,
      ended_at: null,
      status: 'live',
      stats: {},
    },
    events,
  };
  const answer = await postBatch(team.server.url, id, batch, token);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body).toMatchObject({ head: { seq: 3, hash: events[2]!.hash } });
  const client = new pg.Client({ connectionString: team.pg.superuserUrl });
  await client.connect();
  try {
    const rows = (
      await client.query<{ seq: number; kind: string; payload: string; found: boolean }>(
        `SELECT seq, kind, payload, search @@ to_tsquery('simple', 'marmalade') AS found FROM events
         WHERE session_id = $1 ORDER BY seq`,
        [id],
      )
    ).rows;
    expect(rows.map((r) => r.payload)).toEqual(payloads.map((p) => canonicalJson(p)));
    expect(rows.map((r) => r.found)).toEqual([true, true, null]);
    expect(rows[2]!.kind).toBe('odd\ufffdkind');
  } finally {
    await client.end();
  }
});
