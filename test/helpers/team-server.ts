/**
 * The team server for tests, with real parts: Debian's PostgreSQL (test/helpers/postgres.ts) as the team's
 * database, the test OIDC provider issuing JWT access tokens for the server's audience, and `glassbox-server`
 * run as its real bin (bin/glassbox-server.js, built by `npm run build`). Tokens for test accounts come from the
 * provider's device flow completed by a second client, as a person would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as client from 'openid-client';
import { completeDeviceSignIn } from './oidc-browser.js';
import { startOidcProvider, TEST_CLIENT_ID, type TestOidcProvider } from './oidc-provider.js';
import { type PgServer, startPostgres } from './postgres.js';

/** The bin under test. */
export const SERVER_BIN = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'glassbox-server.js');
/** The audience (RFC 8707 resource) the test provider issues team-server access tokens for. */
export const TEAM_AUDIENCE = 'https://team.glassbox.test';

/** A `glassbox-server` child process. */
export interface ServerProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Parsed JSON log lines so far (pino). */
  logs(): Array<Record<string, unknown>>;
  /** stderr so far. */
  errors(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  /** SIGTERM and wait (SIGKILL after 10 s). */
  stop(): Promise<number | string>;
}

/** Options of {@link spawnTeamServer}. */
export interface SpawnServerOptions {
  /** DATABASE_URL; omit for the embedded PostgreSQL (then pass `dataDir`). */
  databaseUrl?: string;
  issuer: string;
  audience?: string;
  /** Extra flags, e.g. ['--auditors-group', 'auditors']. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Fixed port (default 0: a free one). */
  port?: number;
  /** Flags for node itself, before the bin (e.g. ['--cpu-prof', '--cpu-prof-dir', dir] in benchmarks). */
  nodeArgs?: string[];
  /** The server's log level (default debug: tests read its log lines). */
  logLevel?: string;
}

/**
 * Starts the real bin and waits for its "glassbox-server is ready" log line.
 * @throws with its output when it exits or does not get ready within 60 s
 */
export async function spawnTeamServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  else delete env.DATABASE_URL;
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      SERVER_BIN,
      '--port',
      String(options.port ?? 0),
      '--issuer',
      options.issuer,
      '--audience',
      options.audience ?? TEAM_AUDIENCE,
      '--client-id',
      TEST_CLIENT_ID,
      '--log-level',
      options.logLevel ?? 'debug',
      ...(options.args ?? []),
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Array<Record<string, unknown>> = [];
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    url = lines.find((l) => l.msg === 'glassbox-server is ready')?.url as string | undefined;
    if (url) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `glassbox-server did not start:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    child,
    url,
    logs: () => lines,
    errors: () => stderr,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A database, a provider and one server: what most team-server tests start. */
export interface TeamSetup {
  pg: PgServer;
  provider: TestOidcProvider;
  server: ServerProcess;
  /** A fresh access token (JWT, aud {@link TEAM_AUDIENCE}) for a test account, e.g. 'alice' (auditors) or 'bob'. */
  tokenFor(login: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL, the provider (JWT access tokens for {@link TEAM_AUDIENCE}, lifetime `accessTokenTtl` s,
 * default 300) and the server bin on them.
 */
export async function startTeamSetup(
  options: { accessTokenTtl?: number; serverArgs?: string[] } = {},
): Promise<TeamSetup> {
  const pg = await startPostgres();
  const provider = await startOidcProvider({
    apiResource: { indicator: TEAM_AUDIENCE },
    ttl: { AccessToken: options.accessTokenTtl ?? 300, IdToken: 300 },
  });
  let server: ServerProcess;
  try {
    server = await spawnTeamServer({
      databaseUrl: pg.superuserUrl,
      issuer: provider.issuer,
      args: options.serverArgs,
    });
  } catch (error) {
    await provider.close();
    await pg.stop();
    throw error;
  }
  return {
    pg,
    provider,
    server,
    tokenFor: (login) => accessTokenFor(provider, login),
    stop: async () => {
      await server.stop();
      await provider.close();
      await pg.stop();
    },
  };
}

/**
 * The tokens a device grant (RFC 8628) gives `login` at `provider` for `resource` (RFC 8707) with `scope`,
 * the verification pages completed by a second client.
 */
async function deviceGrantFor(
  provider: TestOidcProvider,
  login: string,
  resource: string,
  scope: string,
): Promise<client.TokenEndpointResponse> {
  const config = await client.discovery(new URL(provider.issuer), TEST_CLIENT_ID, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  const authorization = await client.initiateDeviceAuthorization(config, { scope, resource });
  const polling = client.pollDeviceAuthorizationGrant(config, authorization, { resource });
  await completeDeviceSignIn(authorization.verification_uri, authorization.user_code, login);
  return await polling;
}

/**
 * An access token for `login` at `provider` for the team server's audience, through the device grant (RFC
 * 8628) with `resource` (RFC 8707), the verification pages completed by a second client.
 */
export async function accessTokenFor(
  provider: TestOidcProvider,
  login: string,
  resource = TEAM_AUDIENCE,
): Promise<string> {
  return (await deviceGrantFor(provider, login, resource, 'openid offline_access')).access_token;
}

/**
 * An ID token for `login` at `provider`: signed by the same issuer as the server's access tokens, but its
 * audience is the client id, not the server — what the server must refuse.
 */
export async function idTokenFor(provider: TestOidcProvider, login: string): Promise<string> {
  return (await deviceGrantFor(provider, login, TEAM_AUDIENCE, 'openid')).id_token!;
}

/**
 * An HTTP call with `Authorization: Bearer <token>` and, when `body` is given, a JSON body: the status and
 * the parsed JSON answer (for the team server's /v1 routes and the engine's /api alike).
 */
export async function callJson(
  token: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
