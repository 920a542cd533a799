import type { Socket } from 'node:net';
import { describeError } from '../common/errors.js';
import type { PauseCheck } from '../policy/recording-switch.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';
import { backendKeyData, errorResponse, parameterStatus, readyForQuery } from './backend-messages.js';
import type { CancelRegistry } from './cancel.js';
import { authenticateClient, ClientAuthError, type ClientTls, readClientHello } from './client-startup.js';
import type { PgConnection } from './connections.js';
import type { StartupParameters } from './frontend-messages.js';
import { PgRecorder } from './recorder.js';
import { PgRelay, recordingFailedSqlstate } from './relay.js';
import type { ScramCredentials } from './scram.js';
import { StatementTracker } from './tracker.js';
import { connectUpstream, UpstreamError, type UpstreamTarget } from './upstream.js';

/** What every client connection of one configured connection shares. */
export interface SessionContext {
  connection: PgConnection;
  /** SCRAM credentials derived from the local password (derived once: PBKDF2 is deliberately slow). */
  credentials: ScramCredentials;
  store: Store;
  commit: GroupCommit;
  cancels: CancelRegistry;
  identity: Identity;
  /** TLS offered to clients, when a certificate is configured. */
  tls: ClientTls | undefined;
  sampleRows: number;
  /** The engine's recording switch (see {@link PgRelay}). */
  pause?: PauseCheck;
  /** Registers a live relay so shutdown can end it; returns the unregister function. */
  track: (relay: PgRelay) => () => void;
}

/**
 * True when a start-up `replication` parameter asks for a replication connection: `true`/`on`/`yes`/`1`
 * (physical) or `database` (logical), as PostgreSQL parses it (docs, 55.4 Streaming Replication Protocol).
 */
function wantsReplication(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !['false', 'off', 'no', '0', ''].includes(value.trim().toLowerCase());
}

/** Start-up parameters that are the proxy's business, not forwarded upstream as given. */
const NOT_FORWARDED = new Set(['user', 'database', 'replication']);

/**
 * Serves one client connection from start to end: reads its start-up (or routes a CancelRequest),
 * authenticates it against the connection's local password, connects upstream with the vaulted credential,
 * replays the upstream's ParameterStatus with Glassbox's own BackendKeyData, then relays and records.
 * Every failure is answered in the protocol (ErrorResponse with SQLSTATE) and recorded; none escapes.
 */
export async function serveClient(plain: Socket, ctx: SessionContext): Promise<void> {
  let socket = plain;
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  const client = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  let recorder: PgRecorder | undefined;
  const record = (parameters: StartupParameters) => {
    recorder ??= new PgRecorder(
      ctx.store,
      ctx.commit,
      ctx.store.createSession({
        kind: 'postgres',
        target: ctx.connection.name,
        client: parameters.application_name || null,
        identity: ctx.identity,
        external_id: null,
      }).id,
    );
    return recorder;
  };
  let parameters: StartupParameters = {};
  try {
    const hello = await readClientHello(socket, ctx.tls);
    if (hello.kind === 'cancel') {
      socket.end();
      await ctx.cancels.forward(hello.processId, hello.secretKey);
      return;
    }
    parameters = hello.parameters;
    socket = hello.socket;
    socket.on('error', () => socket.destroy());
    const user = parameters.user ?? '';
    const session = record(parameters);
    session.event('pg.session', {
      event: 'start',
      user,
      database: parameters.database ?? user,
      application_name: parameters.application_name ?? null,
      client_address: client,
      tls: { client: hello.tls, upstream: null },
    });
    const { connection } = ctx;
    if (user !== connection.name) {
      const message = `role "${user}" is not a Glassbox connection on port ${connection.listen}; connect as "${connection.name}"`;
      return refuse(socket, session, '28000', message);
    }
    const database = parameters.database || user;
    if (database !== connection.database && database !== connection.name) {
      const message = `database "${database}" is not served by Glassbox connection "${connection.name}" (it serves "${connection.database}")`;
      return refuse(socket, session, '3D000', message);
    }
    if (wantsReplication(parameters.replication)) {
      const message = `Glassbox does not relay replication connections (replication=${parameters.replication}); connect to the server directly for replication`;
      return refuse(socket, session, '0A000', message);
    }
    await authenticateClient(
      socket,
      hello.queue,
      user,
      ctx.credentials,
      hello.tls ? ctx.tls?.binding : undefined,
    );
    const forwarded = Object.fromEntries(
      Object.entries(parameters).filter(([name]) => !NOT_FORWARDED.has(name)),
    );
    const target = upstreamTarget(connection);
    const upstream = await connectUpstream(target, forwarded);
    if (socket.destroyed) {
      // The client left while Glassbox was connecting upstream.
      upstream.socket.destroy();
      session.end('client_closed');
      return;
    }
    const fakeKey = ctx.cancels.register(target, upstream.backendKey, session.sessionId);
    const greeting = [
      ...Object.entries(upstream.parameters).map(([name, value]) => parameterStatus(name, value)),
    ];
    greeting.push(backendKeyData(fakeKey.processId, fakeKey.secretKey), readyForQuery('I'));
    socket.write(Buffer.concat(greeting));
    session.event('pg.session', {
      event: 'connected',
      upstream: `${target.host}:${target.port}`,
      upstream_user: target.user,
      database: target.database,
      server_version: upstream.parameters.server_version ?? null,
      tls: { client: hello.tls, upstream: upstream.tls },
    });
    const relay = new PgRelay(
      socket,
      upstream.socket,
      new StatementTracker(ctx.sampleRows),
      session,
      (reason) => {
        untrack();
        ctx.cancels.unregister(fakeKey);
        session.end(reason);
      },
      ctx.pause,
    );
    const untrack = ctx.track(relay);
    relay.start(hello.queue.detach(), upstream.leftover);
  } catch (error) {
    let session: PgRecorder;
    try {
      session = recorder ?? record(parameters);
    } catch (storeError) {
      // The store refuses writes (a full disk): nothing of this connection can be recorded, so none of it goes on.
      const message = `Glassbox cannot record this connection, so it was not let through: ${describeError(storeError)}`;
      if (!socket.destroyed && !socket.writableEnded)
        socket.end(errorResponse(recordingFailedSqlstate(storeError), message, { S: 'FATAL' }));
      return;
    }
    if (error instanceof ClientAuthError) {
      session.event('pg.auth_failed', { sqlstate: error.sqlstate, message: error.message }, { errors: 1 });
      session.end('authentication_failed');
      return;
    }
    const sqlstate =
      error instanceof UpstreamError ? '08006' : ((error as { sqlstate?: string }).sqlstate ?? '08P01');
    const message = error instanceof UpstreamError ? `Glassbox: ${error.message}` : describeError(error);
    session.event('pg.error', { sqlstate, message, context: 'startup' }, { errors: 1 });
    // A socket already ended was closed unanswered on purpose (an impossible start-up packet length).
    if (!socket.destroyed && !socket.writableEnded)
      socket.end(errorResponse(sqlstate, message, { S: 'FATAL' }));
    session.end(error instanceof UpstreamError ? 'upstream_unavailable' : 'protocol_violation');
  }
}

function refuse(socket: Socket, session: PgRecorder, sqlstate: string, message: string): void {
  session.event('pg.auth_failed', { sqlstate, message }, { errors: 1 });
  socket.end(errorResponse(sqlstate, message, { S: 'FATAL' }));
  session.end('authentication_failed');
}

/** The upstream side of a connection. */
export function upstreamTarget(connection: PgConnection): UpstreamTarget {
  return {
    host: connection.host,
    port: connection.port,
    user: connection.user,
    database: connection.database,
    password: connection.upstreamPassword,
    tls: connection.upstreamTls,
    ...(connection.upstreamCa ? { ca: connection.upstreamCa } : {}),
  };
}
