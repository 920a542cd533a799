import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSql } from '../../proxy/cli/export-sql.js';
import { renderSession } from '../../proxy/cli/show.js';
import { FileVault } from '../../proxy/identity/vault.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import type { Store } from '../../proxy/store/store.js';
import type { Session } from '../../proxy/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { freePort } from '../helpers/pg-proxy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';
import { collectOutput, type ProcessOutput } from '../helpers/process.js';

const PSQL = '/usr/bin/psql';

/** The environment for client programs: no inherited libpq settings, C messages. */
function clientEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
  return { ...env, LC_ALL: 'C', PGCONNECT_TIMEOUT: '10', ...extra };
}

function psql(args: string[], env: Record<string, string>, input?: string): Promise<ProcessOutput> {
  const child = spawn(PSQL, ['-X', '-w', ...args], {
    env: clientEnv(env),
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  if (input !== undefined) child.stdin!.end(input);
  return collectOutput(child);
}

interface Local {
  name: string;
  port: number;
  password: string;
  url: string;
}

/**
 * One real PostgreSQL server behind one engine with three connections: `anydb` (`--databases '*'`), `listed`
 * (the URL's database plus `otherdb`) and `single` (no --databases: only the URL's database, as before).
 */
describe('PostgreSQL connections serving several databases', () => {
  let server: PgServer;
  let test: TestEngine;
  let store: Store;
  const local: Record<string, Local> = {};

  beforeAll(async () => {
    server = await startPostgres({ auth: 'scram-sha-256' });
    const admin = new pg.Client({ connectionString: server.superuserUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE otherdb');
    await admin.query('CREATE DATABASE notlisted');
    await admin.end();
    const home = tempHome();
    const vault = new FileVault(`${home}/vault.json`);
    const upstream = `postgres://${server.user}:${server.password}@127.0.0.1:${server.port}/${server.database}`;
    for (const [name, databases] of [
      ['anydb', '*'],
      ['listed', 'otherdb'],
      ['single', undefined],
    ] as const) {
      const port = await freePort();
      const added = addConnection(home, vault, name, upstream, {
        listen: port,
        upstreamTls: 'disable',
        ...(databases ? { databases } : {}),
      });
      const url = new URL(added.url);
      local[name] = { name, port, password: decodeURIComponent(url.password), url: added.url };
    }
    test = await startTestEngine('http://127.0.0.1:9', () => undefined, home);
    store = test.engine.store;
  });
  afterAll(async () => {
    await test?.cleanup();
    await server?.stop();
  });

  const session = (app: string): Promise<Session> =>
    waitFor(
      () =>
        store
          .listSessions({ kind: 'postgres', limit: 1000 })
          .find((s) => s.client === app && s.status === 'closed'),
      10_000,
      `the session of ${app} to close`,
    );

  // node-postgres' test/integration/gh-issues/130-tests.js, run through Glassbox with PGHOST/PGPORT/PGUSER
  // pointing at it: a pooled client learns its backend's pid, then `psql ... template1` (a second connection,
  // to another database) terminates that backend, and the client sees the server's 57P01.
  it("passes node-postgres' gh-issue 130 test: psql terminates a pooled client's backend from template1", async () => {
    const { port, name, password, url } = local.anydb!;
    const pool = new pg.Pool({ connectionString: url });
    const client = await pool.connect();
    // As the original: the first error is the server's; later ones (the socket closing) are ignored.
    const failed = new Promise<Error & { code?: string }>((resolve) =>
      client.once('error', (error) => {
        client.on('error', () => undefined);
        resolve(error);
      }),
    );
    const { pid } = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number };
    const run = await psql(
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        name,
        '-c',
        `select pg_terminate_backend(${pid})`,
        'template1',
      ],
      { PGPASSWORD: password, PGAPPNAME: 'gh-130' },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(' t\n');
    expect((await failed).code).toBe('57P01');
    client.release(true);
    await pool.end();

    // The recording says which database the psql session used.
    const terminated = await session('gh-130');
    expect(terminated.target).toBe('anydb/template1');
    const connected = store
      .listEvents(terminated.id, 0, 100)
      .find((e) => e.kind === 'pg.session' && (e.payload as { event: string }).event === 'connected');
    expect(connected?.payload).toMatchObject({ database: 'template1' });
    const shown = renderSession(terminated, store.listEvents(terminated.id, 0, 100), []);
    expect(shown).toMatch(/upstream 127\.0\.0\.1:\d+\/template1 as glassbox/);
  });

  it("follows psql's \\c otherdb to a listed database, and refuses one not listed with 3D000", async () => {
    const { url, name, port, password } = local.listed!;
    const script = 'select current_database();\n\\c otherdb\nselect current_database();\n';
    const run = await psql(
      ['-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url],
      { PGAPPNAME: 'reconnect' },
      script,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter((line) => line && !line.startsWith('You are now'))).toEqual([
      server.database,
      'otherdb',
    ]);
    const targets = store
      .listSessions({ kind: 'postgres', limit: 1000 })
      .filter((s) => s.client === 'reconnect')
      .map((s) => s.target)
      .sort();
    expect(targets).toEqual([`listed/${server.database}`, 'listed/otherdb']);
    // One statement of one row reads in the singular.
    const other = store
      .listSessions({ kind: 'postgres', limit: 1000 })
      .find((s) => s.target === 'listed/otherdb')!;
    const shown = renderSession(other, store.listEvents(other.id, 0, 100), []);
    expect(shown).toContain('1 statement · 1 row · 0 errors');
    expect(shown).toMatch(/→ SELECT 1 · 1 row\n/);
    expect(exportSql(other, store.listEvents(other.id, 0, 100))).toContain(
      `PostgreSQL, connection "listed", database "otherdb"`,
    );

    const refused = new pg.Client({ host: '127.0.0.1', port, user: name, password, database: 'notlisted' });
    await expect(refused.connect()).rejects.toMatchObject({ code: '3D000' });
    // A client that names no database (libpq's default: the user name) gets the URL's database.
    const byName = new pg.Client({ host: '127.0.0.1', port, user: name, password, database: name });
    await byName.connect();
    expect((await byName.query('select current_database() as db')).rows[0]).toEqual({ db: server.database });
    await byName.end();
  });

  it("keeps a connection without --databases to the URL's database", async () => {
    const { name, port, password, url } = local.single!;
    const refused = new pg.Client({ host: '127.0.0.1', port, user: name, password, database: 'template1' });
    await expect(refused.connect()).rejects.toMatchObject({ code: '3D000' });
    const client = new pg.Client({ connectionString: url, application_name: 'single-db' });
    await client.connect();
    expect((await client.query('select current_database() as db')).rows[0]).toEqual({ db: server.database });
    await client.end();
    expect((await session('single-db')).target).toBe('single');
  });

  it("passes the upstream's 3D000 on for a database the upstream does not have (with '*')", async () => {
    const { name, port, password } = local.anydb!;
    const client = new pg.Client({ host: '127.0.0.1', port, user: name, password, database: 'no_such_db' });
    await expect(client.connect()).rejects.toMatchObject({
      code: '3D000',
      message: expect.stringContaining('"no_such_db" does not exist'),
    });
  });
});
