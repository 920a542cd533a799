/**
 * An engine with sign-in configured against a real test OIDC provider, a real PostgreSQL server behind one
 * connection and the Anthropic stand-in upstream: what the identity tests drive with the SDK, psql and pg.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { IdentityResponse, SignInStatus } from '../../proxy/identity/types.js';
import { FileVault } from '../../proxy/identity/vault.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import { startTestEngine, type TestEngine, tempHome } from './engine.js';
import { testIdentitySettings } from './identity-signin.js';
import { MockAnthropic } from './mock-anthropic.js';
import { type OidcProviderOptions, startOidcProvider, type TestOidcProvider } from './oidc-provider.js';
import { freePort } from './pg-proxy.js';
import { type PgServer, startPostgres } from './postgres.js';
import { collectOutput, type ProcessOutput } from './process.js';

/** The running parts of an identity test. */
export interface IdentitySetup {
  provider: TestOidcProvider;
  mock: MockAnthropic;
  pg: PgServer;
  test: TestEngine;
  home: string;
  /** postgres://NAME:LOCAL@127.0.0.1:PORT/DB, what clients use. */
  pgUrl: string;
  /** GET/POST on the control API with the engine's token. */
  call: <T>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;
  /** Waits until the engine's GET /api/identity reports `status` (it watches identity.json). */
  untilStatus: (status: SignInStatus) => Promise<IdentityResponse>;
  /** Runs psql (no password prompt, no psqlrc) against the proxy as `application_name`, then `args`. */
  psql: (app: string, args: string[]) => Promise<ProcessOutput>;
  cleanup: () => Promise<void>;
}

/** Starts the provider, PostgreSQL, the stand-in and an engine with `identity` configured (`required` as given). */
export async function startIdentitySetup(
  options: { required?: boolean; provider?: OidcProviderOptions } = {},
): Promise<IdentitySetup> {
  const provider = await startOidcProvider(options.provider);
  const mock = await MockAnthropic.start();
  const pg = await startPostgres({ auth: 'scram-sha-256' });
  const home = tempHome('glassbox-identity-');
  const upstream = `postgres://${pg.user}:${pg.password}@127.0.0.1:${pg.port}/${pg.database}`;
  const added = addConnection(home, new FileVault(join(home, 'vault.json')), 'shop', upstream, {
    listen: await freePort(),
    upstreamTls: 'disable',
  });
  const settings = testIdentitySettings(provider, { required: options.required ?? false });
  const test = await startTestEngine(
    mock.url,
    (config) => {
      config.identity = settings;
    },
    home,
  );
  const api = test.engine.addresses.apiUrl;
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${test.engine.addresses.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const untilStatus = async (status: SignInStatus) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { body } = await call<IdentityResponse>('GET', '/api/identity');
      if (body.state?.status === status) return body;
      if (Date.now() > deadline) throw new Error(`the engine never saw sign-in status ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const psql = (app: string, args: string[]) => {
    const url = new URL(added.url);
    url.searchParams.set('application_name', app);
    const child = spawn(
      '/usr/bin/psql',
      ['-X', '-w', '-v', 'ON_ERROR_STOP=1', '-d', url.toString(), ...args],
      {
        env: { ...process.env, PGCONNECT_TIMEOUT: '20' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return collectOutput(child);
  };
  return {
    provider,
    mock,
    pg,
    test,
    home,
    pgUrl: added.url,
    call,
    untilStatus,
    psql,
    cleanup: async () => {
      await test.cleanup();
      await Promise.all([pg.stop(), mock.stop(), provider.close()]);
    },
  };
}
