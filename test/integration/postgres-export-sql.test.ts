/**
 * A recorded session exported as SQL and replayed with psql runs the statements it recorded and nothing
 * else, whatever the replaying server's settings: a bind parameter written to break out of its literal
 * under standard_conforming_strings = off stays a literal.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSql } from '../../proxy/cli/export-sql.js';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';

const run = promisify(execFile);
/** Breaks out of a '…' literal where a backslash escapes the quote (standard_conforming_strings = off). */
const HOSTILE = "\\'); DROP TABLE victim; --";

describe('SQL export replayed with psql', () => {
  let setup: PgProxySetup;

  beforeAll(async () => {
    setup = await startPgProxy();
    const admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
    await admin.query('CREATE TABLE victim (id int); CREATE TABLE notes (body text)');
    await admin.end();
  });
  afterAll(async () => {
    await setup?.cleanup();
  });

  it('keeps a hostile parameter a literal even where standard_conforming_strings is off', async () => {
    const client = new pg.Client({ connectionString: setup.url, application_name: 'export-sql' });
    await client.connect();
    await client.query('INSERT INTO notes (body) VALUES ($1)', [HOSTILE]);
    await client.end();
    const store = setup.test.engine.store;
    const session = await waitFor(
      () => store.listSessions({ limit: 50 }).find((s) => s.client === 'export-sql' && s.status === 'closed'),
      10_000,
      'the recorded session',
    );
    const script = exportSql(session, store.listEvents(session.id));
    const file = join(setup.test.home, 'replay.sql');
    writeFileSync(file, script);

    // Replayed on a server whose sessions default to the old, backslash-escaping string syntax.
    await run(
      join(setup.pg.binDir, 'psql'),
      ['-X', '-v', 'ON_ERROR_STOP=1', '-f', file, setup.pg.superuserUrl],
      {
        env: { ...process.env, PGOPTIONS: '-c standard_conforming_strings=off' },
      },
    );
    const admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
    try {
      const tables = await admin.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'victim'");
      expect(tables.rows[0].n).toBe(1);
      const notes = await admin.query('SELECT body FROM notes ORDER BY body');
      expect(notes.rows.map((row) => row.body)).toEqual([HOSTILE, HOSTILE]);
    } finally {
      await admin.end();
    }
    expect(script.split('\n')[0]).toBe('SET standard_conforming_strings = on;');
  });
});
