import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../../proxy/config.js';
import { FileVault } from '../../proxy/identity/vault.js';
import type { GuardParserLoaders } from '../../proxy/policy/guard/component.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import type { PgGuardOptions } from '../../proxy/postgres/guard-gate.js';
import type { PgMaskingSource } from '../../proxy/postgres/masking.js';
import { startTestEngine, type TestEngine, tempHome } from './engine.js';
import { type PgServer, type StartPostgresOptions, startPostgres } from './postgres.js';

/** A real PostgreSQL server behind a Glassbox engine with one connection to it. */
export interface PgProxySetup {
  pg: PgServer;
  test: TestEngine;
  /** The connection's name (also the user clients log in as). */
  name: string;
  /** postgres://NAME:LOCALSECRET@127.0.0.1:PORT/DB — what clients use. */
  url: string;
  port: number;
  localPassword: string;
  /** Stops the engine and the server and removes their data. */
  cleanup: () => Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts PostgreSQL (SCRAM authentication unless told otherwise), adds a Glassbox connection `name` to it in a
 * fresh data directory, and starts an engine whose Anthropic upstream is unused.
 */
export async function startPgProxy(
  options: StartPostgresOptions & {
    name?: string;
    upstreamTls?: string;
    /** `--databases`: comma-separated names, or `*` (default: only the upstream URL's database). */
    databases?: string;
    tweak?: (config: Config) => void;
    /** The PostgreSQL proxy's masking policy (default: the engine's). */
    masking?: PgMaskingSource;
    /** The PostgreSQL proxy's guardrails (default: the engine's — the policy's guard rules and broker). */
    guard?: PgGuardOptions;
    /** A policy document written to the data directory's policy.json before the engine starts. */
    policy?: unknown;
    /** How the engine's guard loads its parsers (default: the real ones). */
    guardParsers?: GuardParserLoaders;
  } = {},
): Promise<PgProxySetup> {
  const pg = await startPostgres({ auth: 'scram-sha-256', ...options });
  const home = tempHome();
  if (options.policy !== undefined)
    writeFileSync(join(home, 'policy.json'), JSON.stringify(options.policy), { mode: 0o600 });
  const name = options.name ?? 'testdb';
  const port = await freePort();
  const upstream = `postgres://${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}@127.0.0.1:${pg.port}/${pg.database}`;
  const vault = new FileVault(`${home}/vault.json`);
  const added = addConnection(home, vault, name, upstream, {
    listen: port,
    upstreamTls: options.upstreamTls ?? 'disable',
    ...(options.databases !== undefined ? { databases: options.databases } : {}),
  });
  const test = await startTestEngine('http://127.0.0.1:9', options.tweak ?? (() => undefined), home, {
    ...(options.masking ? { pgMasking: options.masking } : {}),
    ...(options.guard ? { pgGuard: options.guard } : {}),
    ...(options.guardParsers ? { guardParsers: options.guardParsers } : {}),
  });
  const localPassword = decodeURIComponent(new URL(added.url).password);
  return {
    pg,
    test,
    name,
    url: added.url,
    port,
    localPassword,
    cleanup: async () => {
      await test.cleanup();
      await pg.stop();
    },
  };
}
