import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';

describe('TLS between clients and Glassbox', () => {
  let setup: PgProxySetup;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glassbox-client-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    setup = await startPgProxy({
      tweak: (config) => {
        config.postgres.tls = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
      },
    });
  });
  afterAll(async () => {
    await setup.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  // Asynchronous on purpose: the engine runs in this process, so a synchronous spawn would block it.
  const psql = (sslmode: string, extra = '') =>
    promisify(execFile)(
      'psql',
      ['-X', '-A', '-t', '-c', 'select 7 * 6', `${setup.url}?sslmode=${sslmode}${extra}`],
      {
        encoding: 'utf8',
        timeout: 15_000,
      },
    );

  it('answers SSLRequest with S and serves TLS, binding SCRAM to the certificate (SCRAM-SHA-256-PLUS)', async () => {
    const result = await psql('verify-full', `&sslrootcert=${join(dir, 'cert.pem')}&channel_binding=require`);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('42');
    const store = setup.test.engine.store;
    const start = await waitFor(
      () =>
        store
          .listSessions({ kind: 'postgres', limit: 100 })
          .flatMap((s) => store.listEvents(s.id))
          .find(
            (e) => e.kind === 'pg.session' && (e.payload as { tls: { client: string | null } }).tls.client,
          ),
      5_000,
      'a TLS session',
    );
    expect((start.payload as { tls: { client: string } }).tls.client).toMatch(/^TLSv1\.[23]$/);
  });

  it('still serves clients that do not ask for TLS', async () => {
    expect((await psql('disable')).stdout.trim()).toBe('42');
    const client = new pg.Client({ connectionString: setup.url });
    await client.connect();
    expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    await client.end();
  });
});
