/**
 * What the mirror tests and the mirror-lag bench start, all real: the test OIDC provider issuing JWT access
 * tokens for the team server's audience, Debian's PostgreSQL as the team's database, `glassbox-server` run as
 * its real bin on a fixed port (so that it can be killed and started again where engines expect it), a second
 * PostgreSQL as the upstream the engine's PostgreSQL proxy leads to, the Anthropic stand-in, and engines
 * signed in at the provider with config.json's `team` pointing at the server.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../proxy/config.js';
import { Engine } from '../../proxy/engine.js';
import { FileVault } from '../../proxy/identity/vault.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import { tempHome } from './engine.js';
import { signInForTest, testIdentitySettings } from './identity-signin.js';
import { MockAnthropic } from './mock-anthropic.js';
import { startOidcProvider, type TestOidcProvider } from './oidc-provider.js';
import { freePort } from './pg-proxy.js';
import { type PgServer, startPostgres } from './postgres.js';
import { type ServerProcess, spawnTeamServer, TEAM_AUDIENCE } from './team-server.js';

/** An engine home signed in and pointed at the team server. */
export interface MirrorHome {
  home: string;
  /** postgres://… of the engine's PostgreSQL proxy (connection `shop`). */
  pgUrl: string;
  /** The running engine, or undefined while stopped. */
  engine: Engine | undefined;
  start(): Promise<Engine>;
  stop(): Promise<void>;
}

/** The running parts. */
export interface MirrorRig {
  provider: TestOidcProvider;
  /** The team server's database. */
  serverPg: PgServer;
  /** The upstream behind the engines' PostgreSQL proxy. */
  upstreamPg: PgServer;
  mock: MockAnthropic;
  /** The server's fixed port. */
  port: number;
  /** The server process while it runs. */
  server: ServerProcess | undefined;
  /** Starts the server bin (again) on {@link MirrorRig.port}. */
  startServer(): Promise<ServerProcess>;
  /** A query on the server's database. */
  serverQuery<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * A new engine home signed in as `login` (null: nobody signed in), its config.json's team URL the server's
   * (or `teamUrl`, e.g. a proxy in front of it).
   */
  home(login?: string | null, teamUrl?: string): Promise<MirrorHome>;
  stop(): Promise<void>;
}

/** Starts everything but engines (see {@link MirrorRig.home}). */
export async function startMirrorRig(): Promise<MirrorRig> {
  const provider = await startOidcProvider({
    apiResource: { indicator: TEAM_AUDIENCE },
    ttl: { AccessToken: 3600, IdToken: 3600 },
  });
  const [serverPg, upstreamPg, mock, port] = await Promise.all([
    startPostgres(),
    startPostgres({ auth: 'scram-sha-256' }),
    MockAnthropic.start(),
    freePort(),
  ]);
  const admin = new pg.Pool({ connectionString: serverPg.superuserUrl, max: 2 });
  const homes: MirrorHome[] = [];
  const rig: MirrorRig = {
    provider,
    serverPg,
    upstreamPg,
    mock,
    port,
    server: undefined,
    startServer: async () => {
      rig.server = await spawnTeamServer({
        databaseUrl: serverPg.superuserUrl,
        issuer: provider.issuer,
        port,
      });
      return rig.server;
    },
    serverQuery: async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
      (await admin.query<T>(sql, params)).rows,
    home: async (login: string | null = 'alice', teamUrl = `http://127.0.0.1:${port}`) => {
      const home = tempHome('glassbox-mirror-');
      const upstream = `postgres://${upstreamPg.user}:${upstreamPg.password}@127.0.0.1:${upstreamPg.port}/${upstreamPg.database}`;
      const added = addConnection(home, new FileVault(join(home, 'vault.json')), 'shop', upstream, {
        listen: await freePort(),
        upstreamTls: 'disable',
      });
      if (login) await signInForTest(provider, home, login);
      const entry: MirrorHome = {
        home,
        pgUrl: added.url,
        engine: undefined,
        start: async () => {
          const config = loadConfig(home, { anthropicPort: 0, apiPort: 0, anthropicUpstream: mock.url });
          config.shutdownGraceMs = 200;
          config.identity = testIdentitySettings(provider, { audience: TEAM_AUDIENCE });
          config.team = { url: teamUrl, token: 'access_token', mirror: true };
          entry.engine = await Engine.start({ home, config, warn: () => undefined });
          return entry.engine;
        },
        stop: async () => {
          const engine = entry.engine;
          entry.engine = undefined;
          await engine?.stop();
        },
      };
      homes.push(entry);
      return entry;
    },
    stop: async () => {
      for (const entry of homes) {
        await entry.stop().catch(() => undefined);
        rmSync(entry.home, { recursive: true, force: true });
      }
      await rig.server?.stop();
      await admin.end();
      await Promise.all([serverPg.stop(), upstreamPg.stop(), mock.stop(), provider.close()]);
    },
  };
  return rig;
}

/** Local heads of every session with events, by id. */
export function localHeads(engine: Engine): Map<string, number> {
  const heads = new Map<string, number>();
  for (const session of engine.store.listSessions({ limit: 10_000 }))
    if (session.head_seq > 0) heads.set(session.id, session.head_seq);
  return heads;
}

/** The server's head and stored event count per session, by id. */
export async function serverHeads(rig: MirrorRig): Promise<Map<string, { head: number; events: number }>> {
  const rows = await rig.serverQuery<{ id: string; head_seq: number; events: string }>(
    'SELECT s.id, s.head_seq, (SELECT count(*) FROM events e WHERE e.session_id = s.id) AS events FROM sessions s',
  );
  return new Map(rows.map((row) => [row.id, { head: Number(row.head_seq), events: Number(row.events) }]));
}

/** Polls `check` every 100 ms until it returns true; throws `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until the server holds every local session with its local head (and says what differs if not). */
export async function untilMirrored(rig: MirrorRig, engine: Engine, timeoutMs = 90_000): Promise<void> {
  let last = '';
  await until(
    `the server holds every session (${last})`,
    async () => {
      const local = localHeads(engine);
      const remote = await serverHeads(rig);
      const missing = [...local].filter(([id, head]) => remote.get(id)?.head !== head);
      last = missing
        .map(([id, head]) => `${id}: local ${head}, server ${remote.get(id)?.head ?? 'none'}`)
        .join('; ');
      return missing.length === 0;
    },
    timeoutMs,
  );
}
