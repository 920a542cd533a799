/**
 * The team server's own chain verification and its exports, against the real server bin, a real PostgreSQL and
 * tokens from a real OIDC provider, over the read rig's sessions (helpers/team-read-rig.ts): a row altered
 * directly in the server's database is named by its seq; JSONL, HAR and SQL exports parse (the SQL runs on a
 * real PostgreSQL); a session longer than one page of the server's walk verifies and exports whole.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainVerification } from '../../../proxy/sync/protocol.js';
import { chainEvents, postBatch } from '../../helpers/team-chain.js';
import { getAs, type ReadRig, startReadRig, T0 } from '../../helpers/team-read-rig.js';
import type { TeamSetup } from '../../helpers/team-server.js';
import { postgresSession, sessionMeta } from '../../helpers/team-sessions.js';

let rig: ReadRig;
let team: TeamSetup;
let tokens: Record<string, string>;

const get = <T>(path: string, login: string) => getAs<T>(rig, path, login);

beforeAll(async () => {
  rig = await startReadRig();
  ({ team, tokens } = rig);
}, 180_000);
afterAll(async () => {
  await team?.stop();
});

describe('the server’s verification and exports', () => {
  it('recomputes the chain and names the seq of a row altered in its PostgreSQL', async () => {
    const intact = await get<ChainVerification>('/v1/sessions/ALICECLAUDE1/verify', 'alice');
    expect(intact.body).toMatchObject({ intact: true, events: 4, head_seq: 4 });
    const db = new pg.Client({ connectionString: team.pg.superuserUrl });
    await db.connect();
    try {
      const updated = await db.query(
        `UPDATE events SET payload = replace(payload, 'Three invoices', 'No invoices')
         WHERE session_id = 'ALICECLAUDE1' AND seq = 4`,
      );
      expect(updated.rowCount).toBe(1);
    } finally {
      await db.end();
    }
    const broken = await get<ChainVerification>('/v1/sessions/ALICECLAUDE1/verify', 'alice');
    expect(broken.body).toMatchObject({ intact: false, broken_at_seq: 4, head_seq: 4 });
    expect((broken.body as { reason: string }).reason).toMatch(/seq 4/);
    // The owner sees the same verdict for their own session.
    expect((await get<ChainVerification>('/v1/sessions/BOBPG1/verify', 'bob')).body).toMatchObject({
      intact: true,
    });
  });

  it('exports JSONL, HAR and SQL that parse', async () => {
    const download = async (path: string) => {
      const response = await fetch(`${team.server.url}${path}`, {
        headers: { authorization: `Bearer ${tokens.bob}` },
      });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="glassbox-/);
      return response.text();
    };
    const jsonl = (await download('/v1/sessions/BOBCLAUDE1/export?format=jsonl')).trimEnd().split('\n');
    const lines = jsonl.map((line) => JSON.parse(line) as { type: string; seq?: number; hash?: string });
    expect(lines[0]).toMatchObject({ type: 'session', id: 'BOBCLAUDE1', kind: 'anthropic' });
    expect(lines.slice(1).map((l) => [l.type, l.seq])).toEqual([
      ['event', 1],
      ['event', 2],
    ]);
    const har = JSON.parse(await download('/v1/sessions/BOBCLAUDE1/export?format=har')) as {
      log: { version: string; entries: Array<{ request: { url: string; postData: { text: string } } }> };
    };
    expect(har.log.version).toBe('1.2');
    expect(har.log.entries).toHaveLength(1);
    expect(har.log.entries[0]!.request.url).toBe('https://api.anthropic.com/v1/messages');
    expect(har.log.entries[0]!.request.postData.text).toContain('staging certificates');
    const sql = await download('/v1/sessions/BOBPG1/export?format=sql');
    expect(sql.split('\n')[0]).toBe('SET standard_conforming_strings = on;');
    expect(sql).toContain('UPDATE accounts SET frozen = true WHERE id = 42;');
    // The script runs on a real PostgreSQL (inside a transaction rolled back: it only has to parse and plan).
    const db = new pg.Client({ connectionString: team.pg.superuserUrl });
    await db.connect();
    try {
      await db.query('CREATE TEMP TABLE accounts (id int, frozen boolean)');
      await db.query(sql);
    } finally {
      await db.end();
    }
  });
  it('verifies and exports a session longer than one page of the server’s walk (2,500 events)', async () => {
    const id = 'ALICELONG';
    const start = T0 + 50_000_000;
    const statements = Array.from({ length: 1250 }, (_, i) => `SELECT total FROM invoices WHERE id = ${i}`);
    const events = chainEvents(id, postgresSession(statements, start));
    const meta = sessionMeta('postgres', { subject: 'alice', email: 'alice@example.test' }, start);
    for (let i = 0; i < events.length; i += 500) {
      const answer = await postBatch(
        team.server.url,
        id,
        { session: meta, events: events.slice(i, i + 500) },
        tokens.alice!,
      );
      expect(answer.status).toBe(200);
    }
    expect((await get<ChainVerification>(`/v1/sessions/${id}/verify`, 'alice')).body).toEqual({
      intact: true,
      events: 2500,
      head_seq: 2500,
      head_hash: events.at(-1)!.hash,
    });
    const response = await fetch(`${team.server.url}/v1/sessions/${id}/export?format=jsonl`, {
      headers: { authorization: `Bearer ${tokens.alice}` },
    });
    const lines = (await response.text())
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq?: number });
    expect(lines.slice(1).map((line) => line.seq)).toEqual(events.map((event) => event.seq));
    const db = new pg.Client({ connectionString: team.pg.superuserUrl });
    await db.connect();
    try {
      await db.query(`UPDATE events SET ts = ts + 1 WHERE session_id = $1 AND seq = 1700`, [id]);
    } finally {
      await db.end();
    }
    expect((await get<ChainVerification>(`/v1/sessions/${id}/verify`, 'alice')).body).toMatchObject({
      intact: false,
      broken_at_seq: 1700,
    });
  });
});
