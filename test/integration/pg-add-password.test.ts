import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLASSBOX_BIN, runCli, waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';

const SCRIPT = '/usr/bin/script';

/**
 * Where `glassbox pg add` takes the upstream password from when it is not in the URL (so it never has to be
 * on the command line): standard input, PGPASSWORD, the libpq password file, or a prompt on a terminal.
 * Each case logs in to a real server, which proves the password arrived intact.
 */
describe('glassbox pg add: the upstream password off the command line', () => {
  let server: PgServer;
  let home: string;
  let names = 0;

  beforeAll(async () => {
    server = await startPostgres({ auth: 'scram-sha-256' });
    home = tempHome();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  /** The upstream URL without a password. */
  const bare = () => `postgres://${server.user}@127.0.0.1:${server.port}/${server.database}`;
  const add = (env: NodeJS.ProcessEnv, extra: string[] = [], input?: string) =>
    runCli(
      home,
      ['pg', 'add', `c${++names}`, '--upstream', bare(), '--upstream-tls', 'disable', ...extra],
      { PGPASSWORD: '', PGPASSFILE: join(home, 'no-pgpass'), ...env },
      input,
    );
  const vaulted = (name: string) =>
    (JSON.parse(readFileSync(join(home, 'vault.json'), 'utf8')) as Record<string, string>)[
      `pg:${name}:upstream-password`
    ];

  it('reads it from standard input with --upstream-password-stdin', () => {
    const run = add({}, ['--upstream-password-stdin'], `${server.password}\n`);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Upstream login OK');
    expect(run.stderr).toContain('Using the upstream password from standard input.');
    expect(vaulted(`c${names}`)).toBe(server.password);
    expect(readFileSync(join(home, 'config.json'), 'utf8')).not.toContain(server.password);

    const both = runCli(
      home,
      ['pg', 'add', 'x', '--upstream', `${bare().replace('@', ':pw@')}`, '--upstream-password-stdin'],
      {},
      'pw\n',
    );
    expect(both.stderr).toContain('give it once');
    expect(add({}, ['--upstream-password-stdin'], '').stderr).toContain('standard input held no password');
  });

  it('uses PGPASSWORD as libpq does, and says so', () => {
    const run = add({ PGPASSWORD: server.password });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('Using the upstream password from PGPASSWORD.');
    expect(vaulted(`c${names}`)).toBe(server.password);
    // The same name again: refused before any password is taken, saying how to change a connection.
    const again = runCli(home, ['pg', 'add', `c${names}`, '--upstream', bare()], {
      PGPASSWORD: server.password,
    });
    expect(again.status).toBe(2);
    expect(again.stderr).not.toContain('Using the upstream password');
    expect(again.stderr).toContain(`a connection named "c${names}" exists. To change it, edit its entry`);
  });

  it('finds it in the password file (PGPASSFILE) by host, port, database and user, and ignores an open file', () => {
    const file = join(home, 'pgpass');
    writeFileSync(
      file,
      [
        '# hostname:port:database:username:password',
        `127.0.0.1:${server.port}:otherdb:*:wrong-database`,
        `localhost:*:*:*:wrong-host`,
        `127.0.0.1:${server.port}:*:${server.user}:${server.password}`,
        '*:*:*:*:too-late',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const run = add({ PGPASSFILE: file });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Using the upstream password from ${file}.`);
    expect(vaulted(`c${names}`)).toBe(server.password);

    chmodSync(file, 0o644);
    const open = add({ PGPASSFILE: file });
    expect(open.stderr).toContain(`WARNING: password file "${file}" has group or world access`);
    // Without a password the server refuses the login, so nothing is saved.
    expect(open.status).toBe(1);
    expect(open.stderr).toContain('asks for a password and Glassbox has none for this connection');
    // ...and says how to give one: a pipe alone is not read.
    expect(open.stderr).toContain(
      '--upstream-password-stdin (a pipe alone is not read), PGPASSWORD or ~/.pgpass',
    );
  });

  it('prompts on a terminal without echoing what is typed', async () => {
    if (!existsSync(SCRIPT))
      throw new Error(`${SCRIPT} (util-linux) is needed to run glassbox on a pseudo-terminal`);
    const name = `c${++names}`;
    const command = [
      process.execPath,
      GLASSBOX_BIN,
      'pg',
      'add',
      name,
      '--upstream',
      bare(),
      '--upstream-tls',
      'disable',
    ]
      .map((word) => `'${word}'`)
      .join(' ');
    // script(1) runs the command on a new pseudo-terminal and copies our stdin to it.
    const child = spawn(SCRIPT, ['-q', '-f', '-e', '-c', command, '/dev/null'], {
      env: { ...process.env, GLASSBOX_HOME: home, PGPASSWORD: '', PGPASSFILE: join(home, 'no-pgpass') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => seen.includes('Upstream password for'), 20_000, 'the password prompt');
    expect(seen).toContain(
      `Upstream password for ${server.user}@127.0.0.1:${server.port}/${server.database}`,
    );
    child.stdin.write(`${server.password}\r`);
    expect(await exited, seen).toBe(0);
    expect(seen).toContain('Upstream login OK');
    expect(seen).not.toContain(server.password); // not echoed
    expect(vaulted(name)).toBe(server.password);
    child.stdin.end();
  });
});
