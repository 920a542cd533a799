/**
 * The team server's composition root: a list of components, each started in order and stopped in reverse —
 * the database (the team's, or an embedded one), its migrations, the connection pool, the live LISTEN hub,
 * the token verifier and the HTTP server with its routes.
 *
 * Threat model: the server is reachable by everyone on the team's network. Every route but health, info and
 * the dashboard's static files needs a bearer token signed by the configured issuer for this audience
 * (server/auth/verify.ts); the token's person is the only identity believed (a session's recorded identity
 * that disagrees is flagged, never trusted); a person reads and writes only their own sessions unless their
 * groups make them an auditor or an approver (server/auth/principal.ts). Request bodies are schema-validated
 * and size-limited; a batch is stored only when its hash chain verifies from the server's own head.
 */
import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type pg from 'pg';
import { glassboxVersion, MAX_REQUEST_BYTES } from '../proxy/sync/protocol.js';
import { acceptBrowserSession, browserSessionsFor } from './auth/browser-hook.js';
import { TokenVerifier } from './auth/verify.js';
import type { ServerConfig } from './config.js';
import { migrate, openPool } from './db/database.js';
import type { App, RouteContext } from './http/context.js';
import { Drain } from './http/drain.js';
import { answerError } from './http/errors.js';
import { LiveHub } from './live/hub.js';
import { TeamPolicyFile } from './policy/team-policy.js';
import { Retention } from './retention/retention.js';
import { approvalsRoutes } from './routes/approvals.js';
import { authRoutes } from './routes/auth.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { exportRoutes } from './routes/export.js';
import { healthRoutes } from './routes/health.js';
import { infoRoutes } from './routes/info.js';
import { liveRoutes } from './routes/live.js';
import { meRoutes } from './routes/me.js';
import { mirrorRoutes } from './routes/mirror.js';
import { policyRoutes } from './routes/policy.js';
import { searchRoutes } from './routes/search.js';
import { sessionReadRoutes } from './routes/sessions.js';

/** A running server. */
export interface TeamServer {
  /** `http://host:port` it listens on. */
  url: string;
  pool: pg.Pool;
  app: App;
  /**
   * Stops accepting (503 to new requests, `Connection: close` on every answer), closes live sockets (1001),
   * waits up to DRAIN_MS (http/drain.ts) for requests in flight, then stops the pool and the database.
   */
  stop(): Promise<void>;
}

/** Extra parts tests may supply. */
export interface StartOptions {
  /** Log destination (pino options); default JSON lines on stdout at `config.logLevel`. */
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
}

/**
 * Starts the server.
 * @throws when the database cannot be reached or migrated, or the port is taken (after stopping what started)
 */
export async function startTeamServer(config: ServerConfig, options: StartOptions = {}): Promise<TeamServer> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  let accepting = false;
  const drain = new Drain();
  try {
    const app = Fastify({
      logger: options.logger ?? { level: config.logLevel },
      bodyLimit: MAX_REQUEST_BYTES,
      forceCloseConnections: 'idle',
      return503OnClosing: false, // the onRequest hook below answers with a protocol error instead
      genReqId: (request) => {
        const given = request.headers['x-request-id'];
        return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
      },
    }).withTypeProvider<ZodTypeProvider>();
    const log = app.log;

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const { startEmbeddedPostgres } = await import('./db/embedded-postgres.js');
      const embedded = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        log: (line) => log.debug({ postgres: line }),
        notice: (message) => log.info(message),
      });
      stops.push(() => embedded.stop());
      databaseUrl = embedded.url;
      log.info(
        { dataDir: config.dataDir },
        'using the embedded PostgreSQL (set DATABASE_URL for the team database)',
      );
    }
    await migrate(databaseUrl, log);
    const pool = openPool(databaseUrl, log);
    stops.push(() => pool.end());
    const live = new LiveHub(databaseUrl, log);
    await live.start();
    stops.push(() => live.stop());
    const verifier = new TokenVerifier(config);
    if (config.retentionDays !== undefined) {
      const retention = new Retention(pool, config.retentionDays, log);
      retention.start();
      stops.push(() => retention.stop());
    }
    if (config.teamPolicy) {
      const teamPolicy = new TeamPolicyFile(config.teamPolicy, pool, log);
      await teamPolicy.start();
      stops.push(() => teamPolicy.stop());
    }

    const context: RouteContext = {
      pool,
      live,
      verifier,
      config,
      version: glassboxVersion(),
      ready: () => accepting,
    };
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app.setErrorHandler(answerError);
    await app.register(websocket, {
      options: { maxPayload: 64 * 1024 },
      preClose(done) {
        for (const client of this.websocketServer.clients) client.close(1001, 'server shutting down');
        this.websocketServer.close(() => done());
      },
    });
    const sessions = browserSessionsFor(config, log);
    app.addHook('onRequest', acceptBrowserSession(sessions, config));
    const routeList = [
      healthRoutes,
      infoRoutes,
      mirrorRoutes,
      liveRoutes,
      meRoutes,
      sessionReadRoutes,
      exportRoutes,
      searchRoutes,
      approvalsRoutes,
      policyRoutes,
      dashboardRoutes,
    ];
    for (const routes of routeList) await app.register(routes(context));
    await app.register(authRoutes(context, sessions));
    // Connection: close and 503 once the stop begins; in-flight requests get DRAIN_MS (http/drain.ts).
    drain.install(app);
    stops.push(async () => {
      accepting = false;
      await drain.close(app);
    });
    await app.listen({ port: config.port, host: config.host });
    accepting = true;
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    log.info({ url }, 'glassbox-server is ready');
    return { url, pool, app, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
