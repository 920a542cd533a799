import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type ServeProcess, spawnServe, waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { freePort } from '../helpers/pg-proxy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';

/** No inherited libpq settings: the password must come from where each test says. */
const NO_PG_ENV = { PGPASSWORD: '', PGPASSFILE: '/nonexistent/pgpass' };

/**
 * `glassbox serve` running while `glassbox pg add` / `pg remove` and hand edits change config.json: the engine
 * applies connection changes without a restart, and says what it could not apply.
 */
describe('PostgreSQL connections change while the engine runs', () => {
  let server: PgServer;
  let home: string;
  let serve: ServeProcess;
  let port: number;

  beforeAll(async () => {
    server = await startPostgres({ auth: 'scram-sha-256' });
    home = tempHome();
    serve = await spawnServe(home, 'http://127.0.0.1:9');
  });
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const upstream = (password = server.password) =>
    `postgres://${server.user}:${password}@127.0.0.1:${server.port}/${server.database}`;
  const config = () => JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'));
  const writeConfig = (value: unknown) => writeFileSync(join(home, 'config.json'), JSON.stringify(value));

  it('pg add tests the upstream login, and the running engine listens for the new connection at once', async () => {
    port = await freePort();
    const args = [
      'pg',
      'add',
      'live',
      '--upstream',
      upstream(),
      '--listen',
      String(port),
      '--upstream-tls',
      'disable',
    ];
    const added = runCli(home, args, NO_PG_ENV);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toMatch(
      /Upstream login OK: glassbox@127\.0\.0\.1:\d+\/glassbox_test, PostgreSQL \d+/,
    );
    expect(added.stdout).toMatch(/Live now on the running engine \(pid \d+\)/);
    const url = /postgres:\/\/live:\S+/.exec(added.stdout)?.[0];
    expect(url).toContain(`@127.0.0.1:${port}/`);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await client.end();
    expect(serve.output()).toContain(`PostgreSQL connection "live" added: listening on 127.0.0.1:${port}`);
  });

  it('pg add with a wrong password says the login failed and saves nothing', () => {
    const args = [
      'pg',
      'add',
      'wrong',
      '--upstream',
      upstream('not-the-password'),
      '--upstream-tls',
      'disable',
    ];
    const refused = runCli(home, args, NO_PG_ENV);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('the upstream login failed, so nothing was saved');
    expect(refused.stderr).toContain(`password authentication failed for user "${server.user}"`);
    expect(refused.stderr).toContain('--no-check');
    expect(config().postgres.connections.wrong).toBeUndefined();
  });

  it('applies a changed connection to new clients while open sessions go on, and ends them when it is removed', async () => {
    const url = JSON.parse(runCli(home, ['pg', 'list', '--json']).stdout)[0].url as string;
    const open = new pg.Client({ connectionString: url });
    const errors: Array<Error & { code?: string }> = [];
    open.on('error', (error) => errors.push(error));
    await open.connect();

    // A hand edit: the connection now also serves `postgres`.
    const edited = config();
    edited.postgres.connections.live.databases = ['postgres'];
    writeConfig(edited);
    await waitFor(
      () => serve.output().includes('PostgreSQL connection "live" changed'),
      15_000,
      'the change',
    );
    const other = new pg.Client({ connectionString: url.replace(/\/glassbox_test$/, '/postgres') });
    await other.connect();
    expect((await other.query('select current_database() as db')).rows).toEqual([{ db: 'postgres' }]);
    await other.end();
    expect((await open.query('select 2 as two')).rows).toEqual([{ two: 2 }]);

    // Moved to another port: the old listener closes, the open session goes on.
    const moved = await freePort();
    const again = config();
    again.postgres.connections.live.listen = moved;
    writeConfig(again);
    await waitFor(
      () => serve.output().includes(`changed: new clients on 127.0.0.1:${moved}`),
      15_000,
      'the move',
    );
    const there = new pg.Client({ connectionString: url.replace(`:${port}/`, `:${moved}/`) });
    await there.connect();
    await there.end();
    await expect(new pg.Client({ connectionString: url }).connect()).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect((await open.query('select 3 as three')).rows).toEqual([{ three: 3 }]);

    const removed = runCli(home, ['pg', 'remove', 'live']);
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/Closed on the running engine \(pid \d+\)/);
    await waitFor(() => errors.length > 0, 10_000, 'the open session to end');
    expect(errors[0]).toMatchObject({
      code: '57P01',
      message: expect.stringContaining('connection was removed'),
    });
    const late = new pg.Client({ connectionString: url.replace(`:${port}/`, `:${moved}/`) });
    await expect(late.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses an invalid config.json with a clear line and says which settings wait for a restart', async () => {
    port = await freePort();
    const args = [
      'pg',
      'add',
      'kept',
      '--upstream',
      upstream(),
      '--listen',
      String(port),
      '--upstream-tls',
      'disable',
    ];
    expect(runCli(home, args, NO_PG_ENV).status).toBe(0);
    const good = config();
    writeConfig({
      ...good,
      postgres: { connections: { kept: { ...good.postgres.connections.kept, listen: 'x' } } },
    });
    await waitFor(() => serve.errors().includes('refused the new config.json'), 15_000, 'the refusal');
    expect(serve.errors()).toContain('postgres.connections.kept.listen');
    expect(runCli(home, ['pg', 'list']).stderr).toContain('postgres.connections.kept.listen');
    // The engine kept the previous configuration: the connection still serves.
    const client = new pg.Client({
      connectionString: `postgres://kept:${encodeURIComponent(localPassword(home, 'kept'))}@127.0.0.1:${port}/${server.database}`,
    });
    await client.connect();
    await client.end();

    writeConfig({ ...good, anthropic: { port: 1 } });
    await waitFor(
      () => serve.output().includes('config.json is valid again and applied'),
      15_000,
      'the note that the fixed file was taken',
    );
    await waitFor(
      () => serve.output().includes('anthropic.port changed in config.json; takes effect at restart'),
      15_000,
      'the restart notice',
    );
  });
});

function localPassword(home: string, name: string): string {
  const vault = JSON.parse(readFileSync(join(home, 'vault.json'), 'utf8')) as Record<string, string>;
  return vault[`pg:${name}:local-password`]!;
}
