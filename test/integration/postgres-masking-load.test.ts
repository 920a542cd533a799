import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDataRow } from '../../proxy/postgres/backend-messages.js';
import { Framer } from '../../proxy/postgres/framer.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { type MaskingEngineProcess, startMaskingEngine } from '../helpers/masking-engine.js';
import type { TestColumnRule } from '../helpers/masking-policy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';
import { collectOutput } from '../helpers/process.js';
import { RawPgClient } from '../helpers/raw-pg.js';

const RULES: TestColumnRule[] = [
  { id: 'column.email', column: 'email', action: { type: 'redact' }, wire: true },
  {
    id: 'column.filler',
    table: 'pgbench_accounts',
    column: 'filler',
    action: { type: 'redact' },
    wire: true,
  },
  {
    id: 'column.abalance',
    table: 'pgbench_accounts',
    column: 'abalance',
    action: { type: 'hash' },
    wire: true,
  },
];
const MB = 1024 * 1024;

describe('PostgreSQL wire masking under load', () => {
  let pgServer: PgServer;
  let engine: MaskingEngineProcess;
  let url: string;

  beforeAll(async () => {
    pgServer = await startPostgres({ auth: 'scram-sha-256' });
    engine = await startMaskingEngine(pgServer, ['masked'], RULES);
    url = engine.connections.masked!.url;
  });
  afterAll(async () => {
    await engine?.stop();
    await pgServer?.stop();
  });

  /**
   * Runs `sql` as a simple Query on a raw connection, reading slowly (a pause every 4 MB, so the engine meets
   * backpressure), and gives each DataRow's values to `row`; returns the rows read.
   */
  async function streamRows(sql: string, row: (values: Array<Buffer | null>) => void): Promise<number> {
    const { port, user, password } = engine.connections.masked!;
    const raw = await RawPgClient.login(port, user, password, pgServer.database);
    const socket = raw.socket;
    socket.removeAllListeners('data');
    const framer = new Framer();
    let rows = 0;
    let sincePause = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => {
          sincePause += chunk.length;
          if (sincePause > 4 * MB) {
            sincePause = 0;
            socket.pause();
            setTimeout(() => socket.resume(), 50);
          }
          try {
            for (const frame of framer.push(chunk)) {
              if (frame.type === 0x44) {
                rows++;
                row(parseDataRow(frame.body));
              } else if (frame.type === 0x45) throw new Error('the query failed');
              else if (frame.type === 0x5a) resolve();
            }
          } catch (error) {
            socket.destroy();
            reject(error);
          }
        });
        socket.once('close', () => reject(new Error('connection closed')));
        socket.write(new Writer().cstring(sql).frame('Q'));
      });
    } finally {
      raw.close();
    }
    return rows;
  }

  it('streams a 100,000-row masked result (200 MB) with bounded engine memory', async () => {
    const sql = (n: number) =>
      `SELECT i AS id, 'user' || i || '@example.com' AS email, repeat('x', 2000) AS filler FROM generate_series(1, ${n}) i`;
    const check = (values: Array<Buffer | null>) => {
      if (values[1]?.toString() !== '[MASKED:column.email]' || values[2]?.length !== 2000)
        throw new Error(`row ${values[0]} not masked as expected`);
    };
    expect(await streamRows(sql(1_000), check)).toBe(1_000); // warm-up
    engine.resetPeak();
    const before = engine.memory();
    expect(await streamRows(sql(100_000), check)).toBe(100_000);
    const after = engine.memory();
    const grew = (after.peak - before.rss) / MB;
    // Buffering the result would take over 200 MB; streaming keeps it to what is in flight plus garbage.
    expect(grew, `peak RSS grew by ${grew.toFixed(1)} MB`).toBeLessThan(80);
  });

  it('pgbench runs its built-in and a custom script, in every query mode, with wire masking on', async () => {
    const bundled = join(pgServer.binDir, 'pgbench');
    const pgbench = existsSync(bundled) ? bundled : '/usr/bin/pgbench';
    const run = async (target: { port: number; user: string; password: string }, args: string[]) => {
      const child = spawn(
        pgbench,
        ['-h', '127.0.0.1', '-p', String(target.port), '-U', target.user, ...args],
        {
          env: { ...process.env, PGPASSWORD: target.password, PGDATABASE: pgServer.database, LC_ALL: 'C' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      return collectOutput(child);
    };
    const init = await run({ port: pgServer.port, user: pgServer.user, password: pgServer.password }, [
      '-i',
      '-s',
      '1',
      '-q',
    ]);
    expect(init.code, init.stderr).toBe(0);
    const dir = mkdtempSync(join(engine.home, 'pgbench-'));
    const script = join(dir, 'masked.sql');
    writeFileSync(
      script,
      '\\set aid random(1, 99980)\nSELECT aid, bid, abalance, filler FROM pgbench_accounts WHERE aid BETWEEN :aid AND :aid + 19;\n',
    );
    try {
      for (const mode of ['simple', 'extended', 'prepared']) {
        for (const workload of [['-S'], ['-f', script]]) {
          const out = await run(engine.connections.masked!, [
            '-n',
            '-t',
            '50',
            '-c',
            '2',
            '-M',
            mode,
            ...workload,
          ]);
          expect(out.code, `${mode} ${workload}: ${out.stderr}`).toBe(0);
          expect(out.stdout).toContain('number of transactions actually processed: 100/100');
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT aid, abalance, filler FROM pgbench_accounts WHERE aid = 1');
      expect(rows).toEqual([{ aid: 1, abalance: null, filler: '[MASKED:column.filler]' }]);
    } finally {
      await client.end();
    }
  });

  it('the node-postgres cursor reads a masked result batch by batch', async () => {
    const direct = new pg.Client({ connectionString: pgServer.superuserUrl });
    await direct.connect();
    await direct.query(
      "CREATE TABLE people AS SELECT i AS id, 'p' || i || '@example.com' AS email FROM generate_series(1, 250) i",
    );
    await direct.end();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const cursor = client.query(new Cursor('SELECT id, email FROM people ORDER BY id'));
      const batches: number[] = [];
      const rows: Array<{ id: number; email: string }> = [];
      for (;;) {
        const batch = await cursor.read(100);
        if (batch.length === 0) break;
        batches.push(batch.length);
        rows.push(...batch);
      }
      await cursor.close();
      expect(batches).toEqual([100, 100, 50]);
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
      expect(new Set(rows.map((r) => r.email))).toEqual(new Set(['[MASKED:column.email]']));
      expect((await client.query('SELECT count(*)::int AS n FROM people')).rows).toEqual([{ n: 250 }]);
    } finally {
      await client.end();
    }
  });
});
