import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type PgServer, startPostgres } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);

/** Runs one statement through the real psql client; resolves with its unaligned, tuples-only output. */
async function psql(server: PgServer, sql: string, opts: { sslmode?: string; password?: string } = {}) {
  const bin = existsSync('/usr/bin/psql') ? '/usr/bin/psql' : join(server.binDir, 'psql');
  const url = `postgresql://${server.user}@${server.host}:${server.port}/${server.database}?sslmode=${opts.sslmode ?? 'disable'}`;
  const env = { ...process.env, PGPASSWORD: opts.password ?? server.password, PGCONNECT_TIMEOUT: '10' };
  const { stdout } = await execFileAsync(
    bin,
    ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql],
    { env },
  );
  return stdout.trim();
}

/** Starts a server, runs `body`, and always stops it. */
async function withServer(
  options: Parameters<typeof startPostgres>[0],
  body: (server: PgServer) => Promise<void>,
) {
  const server = await startPostgres(options);
  try {
    await body(server);
  } finally {
    await server.stop();
  }
  expect(existsSync(server.dataDir)).toBe(false);
}

describe('PostgreSQL test harness', () => {
  it('starts a scram-sha-256 server that psql logs into and that refuses a wrong password', async () => {
    await withServer({ auth: 'scram-sha-256' }, async (server) => {
      expect(await psql(server, 'select current_user, version()')).toMatch(/^glassbox\|PostgreSQL \d+/);
      const stored = "select rolpassword ~ '^SCRAM-SHA-256' from pg_authid where rolname = current_user";
      expect(await psql(server, stored)).toBe('t');
      await expect(psql(server, 'select 1', { password: 'wrong' })).rejects.toThrow(
        /password authentication failed/,
      );
      expect(server.superuserUrl).toBe(
        `postgres://glassbox:${server.password}@127.0.0.1:${server.port}/glassbox_test`,
      );
    });
  });

  it('starts an md5 server with an MD5-stored password', async () => {
    await withServer({ auth: 'md5' }, async (server) => {
      expect(await psql(server, 'select current_user, version()')).toMatch(/^glassbox\|PostgreSQL/);
      expect(
        await psql(server, "select rolpassword ~ '^md5' from pg_authid where rolname = current_user"),
      ).toBe('t');
    });
  });

  it('starts a TLS server that psql reaches with sslmode=require', async () => {
    await withServer({ ssl: true }, async (server) => {
      const ssl = 'select ssl from pg_stat_ssl where pid = pg_backend_pid()';
      expect(await psql(server, ssl, { sslmode: 'require' })).toBe('t');
      expect(await psql(server, ssl, { sslmode: 'disable' })).toBe('f');
    });
  });
});
