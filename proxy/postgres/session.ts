import type { Socket } from 'node:net';
import { homedir } from 'node:os';
import { describeError } from '../common/errors.js';
import type { IdentitySource } from '../identity/types.js';
import { guardIdentity } from '../policy/actor.js';
import { recordIdentityRefusal } from '../policy/identity-refusal.js';
import type { PauseCheck } from '../policy/recording-switch.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';
import { StoreUnavailableError } from '../store/unavailable.js';
import { backendKeyData, errorResponse, parameterStatus, readyForQuery } from './backend-messages.js';
import type { CancelRegistry } from './cancel.js';
import {
  authenticateClient,
  ClientAuthError,
  type ClientTls,
  readClientHello,
  StartupError,
} from './client-startup.js';
import type { PgConnection } from './connections.js';
import { describeServed, servedDatabase, sessionTarget } from './databases.js';
import type { StartupParameters } from './frontend-messages.js';
import type { GateSettings, PgGuardOptions } from './guard-gate.js';
import type { PgMaskingSource } from './masking.js';
import { closeAfterRefusal, type PreAuthGuard, type PreAuthTicket } from './pre-auth.js';
import { PgRecorder } from './recorder.js';
import { PgRelay, recordingFailedSqlstate } from './relay.js';
import { estimateRows } from './row-estimate.js';
import type { ScramCredentials } from './scram.js';
import { StorageMasking } from './storage-masking.js';
import type { TableNamesRegistry } from './table-names.js';
import { StatementTracker } from './tracker.js';
import { connectUpstream, UpstreamError, type UpstreamTarget } from './upstream.js';
import { WireMasker } from './wire-masking.js';

/** What every client connection of one configured connection shares. */
export interface SessionContext {
  connection: PgConnection;
  /** SCRAM credentials derived from the local password (derived once: PBKDF2 is deliberately slow). */
  credentials: ScramCredentials;
  store: Store;
  commit: GroupCommit;
  cancels: CancelRegistry;
  /** The engine's live sign-in, read once per client connection after it logged in. */
  identity: Pick<IdentitySource, 'current' | 'refusal'>;
  /** TLS offered to clients, when a certificate is configured. */
  tls: ClientTls | undefined;
  sampleRows: number;
  /** The engine's recording switch (see {@link PgRelay}). */
  pause?: PauseCheck;
  /** Registers a live relay so shutdown can end it; returns the unregister function. */
  track: (relay: PgRelay) => () => void;
  /** The proxy's guard of connections not yet authenticated, and this one's place under its listener's cap. */
  preAuth: { guard: PreAuthGuard; ticket: PreAuthTicket };
  /** The masking policy now, and the table names of each connection's databases (masking.ts). */
  masking: { policy: PgMaskingSource; tables: TableNamesRegistry };
  /** The guardrails (guard-gate.ts); without `guard`, statements are not checked. */
  guard?: PgGuardOptions;
  /** The user's home directory, for the guard's context. */
  home?: string;
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
 * Before authentication a client is told no more than PostgreSQL would tell it (an unknown role gets the
 * same SCRAM exchange and 28P01 as a wrong password) and nothing is recorded: what it did is counted per
 * client address by the pre-authentication guard (pre-auth.ts), which also times it out and rate-limits
 * failed logins and CancelRequests. From authentication on, every failure is answered in the protocol
 * (ErrorResponse with SQLSTATE) and recorded in the session; none escapes.
 */
export async function serveClient(plain: Socket, ctx: SessionContext): Promise<void> {
  let socket = plain;
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  const address = socket.remoteAddress ?? '?';
  const client = `${address}:${socket.remotePort ?? '?'}`;
  const { guard, ticket } = ctx.preAuth;
  // PostgreSQL's authentication_timeout: a connection that has not logged in by then is closed unanswered.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    socket.destroy();
    plain.destroy();
  }, guard.limits.timeoutMs);
  const leavePreAuth = () => {
    clearTimeout(timer);
    ticket.release();
  };
  plain.once('close', leavePreAuth);
  let recorder: PgRecorder | undefined;
  let parameters: StartupParameters = {};
  let user = '';
  try {
    const hello = await readClientHello(socket, ctx.tls, guard.limits.timeoutMs);
    if (hello.kind === 'cancel') {
      socket.end();
      leavePreAuth();
      if (guard.cancelAllowed(address) && !(await ctx.cancels.forward(hello.processId, hello.secretKey)))
        guard.cancelUnknown(address);
      return;
    }
    parameters = hello.parameters;
    socket = hello.socket;
    socket.on('error', () => socket.destroy());
    user = parameters.user ?? '';
    const blockedMs = guard.loginBlockedFor(address);
    if (blockedMs > 0) {
      guard.refused(address, 'too_many_failures');
      const message = `too many failed logins from ${address}; try again in ${Math.ceil(blockedMs / 1000)} s`;
      socket.end(errorResponse('53300', message, { S: 'FATAL' }));
      closeAfterRefusal(socket);
      return;
    }
    const { connection } = ctx;
    const credentials =
      user === connection.name ? ctx.credentials : guard.mockCredentials(user, ctx.credentials.iterations);
    const binding = hello.tls ? ctx.tls?.binding : undefined;
    await authenticateClient(socket, hello.queue, user, credentials, binding);
    leavePreAuth();
    // Table names are looked up in the database this session opens (once it is known to be served).
    const database = servedDatabase(connection, parameters.database || user);
    const target = database === undefined ? undefined : upstreamTarget(connection, database);
    const tables = target && ctx.masking.tables.for(connection.name, target);
    const masking = { connection: connection.name, policy: ctx.masking.policy, tables };
    const identity = ctx.identity.current();
    const unsigned = ctx.identity.refusal();
    if (unsigned) return refuseWithoutSignIn(socket, ctx, identity, unsigned, { parameters, user, client });
    recorder = new PgRecorder(
      ctx.store,
      ctx.commit,
      ctx.store.createSession({
        kind: 'postgres',
        target: sessionTarget(connection, parameters.database || user),
        client: parameters.application_name || null,
        identity,
        external_id: null,
      }).id,
      new StorageMasking(masking),
    );
    const session = recorder;
    session.event('pg.session', {
      event: 'start',
      user,
      database: parameters.database ?? user,
      application_name: parameters.application_name ?? null,
      client_address: client,
      tls: { client: hello.tls, upstream: null },
    });
    // Checked once the client has logged in, as PostgreSQL checks a database: before, it would tell a
    // stranger what the connection serves.
    if (database === undefined || target === undefined) {
      const message = `database "${parameters.database || user}" is not served by Glassbox connection "${connection.name}" (it serves ${describeServed(connection)}; Glassbox's config.json can list more under its "databases")`;
      return refuse(socket, session, '3D000', message);
    }
    if (wantsReplication(parameters.replication)) {
      const message = `Glassbox does not relay replication connections (replication=${parameters.replication}); connect to the server directly for replication`;
      return refuse(socket, session, '0A000', message);
    }
    const forwarded = Object.fromEntries(
      Object.entries(parameters).filter(([name]) => !NOT_FORWARDED.has(name)),
    );
    // A client that leaves (or a connection removed, or the engine stopping) while this is under way stops
    // it at once rather than after the upstream's handshake timeout.
    const clientGone = new AbortController();
    socket.once('close', () => clientGone.abort());
    const upstream = await connectUpstream(target, forwarded, undefined, clientGone.signal);
    if (socket.destroyed) {
      // The client left while Glassbox was connecting upstream.
      upstream.socket.destroy();
      session.end('client_closed');
      return;
    }
    const fakeKey = ctx.cancels.register(target, upstream.backendKey, session.sessionId, () =>
      relay.cancelRequested(),
    );
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
      new WireMasker({
        ...masking,
        clientEncoding: upstream.parameters.client_encoding,
        warn: (message) =>
          session.event('pg.error', {
            sqlstate: '58000',
            message: `Glassbox masking: ${message}`,
            context: 'masking',
          }),
      }),
      ctx.pause,
      gateSettings(
        ctx,
        identity,
        session.sessionId,
        parameters.application_name,
        sessionTarget(connection, parameters.database || user),
        target,
        upstream.parameters,
      ),
    );
    const untrack = ctx.track(relay);
    relay.start(hello.queue.detach(), upstream.leftover);
  } catch (error) {
    leavePreAuth();
    if (error instanceof StoreUnavailableError) {
      // The store refuses writes (a full disk): nothing of this connection can be recorded, so none of it goes on.
      const message = `Glassbox cannot record this connection, so it was not let through: ${error.message}`;
      if (!socket.destroyed && !socket.writableEnded)
        socket.end(errorResponse(recordingFailedSqlstate(error), message, { S: 'FATAL' }));
      closeAfterRefusal(socket);
      return;
    }
    if (!recorder) {
      notAuthenticated(error, socket, guard, address, user, timedOut);
      return;
    }
    if (socket.destroyed) {
      // The client went away during start-up (the upstream attempt was abandoned for it): nothing to answer.
      recorder.end('client_closed');
      return;
    }
    const sqlstate = (error as { sqlstate?: string }).sqlstate ?? '08P01';
    const message = error instanceof UpstreamError ? `Glassbox: ${error.message}` : describeError(error);
    recorder.event('pg.error', { sqlstate, message, context: 'startup' }, { errors: 1 });
    if (!socket.destroyed && !socket.writableEnded)
      socket.end(errorResponse(sqlstate, message, { S: 'FATAL' }));
    recorder.end(error instanceof UpstreamError ? 'upstream_unavailable' : 'protocol_violation');
  }
}

/**
 * A connection that failed before logging in: counted for its client address, never recorded, and closed
 * within a second. A wrong password (or unknown role) is a failed login; anything else a refusal by reason.
 * What was not answered yet gets PostgreSQL's answer for it; a connection closed unanswered on purpose (an
 * impossible packet length, a time-out) stays so.
 */
function notAuthenticated(
  error: unknown,
  socket: Socket,
  guard: PreAuthGuard,
  address: string,
  user: string,
  timedOut: boolean,
): void {
  if (error instanceof ClientAuthError && error.sqlstate === '28P01') guard.loginFailed(address, user);
  else if (timedOut) guard.refused(address, 'timeout');
  else if (error instanceof StartupError) guard.refused(address, error.reason);
  else guard.refused(address, socket.readableEnded ? 'closed' : 'malformed');
  if (!socket.destroyed && !socket.writableEnded) {
    const sqlstate = (error as { sqlstate?: string }).sqlstate ?? '08P01';
    socket.end(errorResponse(sqlstate, describeError(error), { S: 'FATAL' }));
  }
  closeAfterRefusal(socket);
}

/** The guard's settings for one session, when the proxy has a guard. */
function gateSettings(
  ctx: SessionContext,
  identity: Identity,
  sessionId: string,
  client: string | undefined,
  target: string,
  upstream: UpstreamTarget,
  serverParameters: Record<string, string>,
): GateSettings | undefined {
  const guard = ctx.guard?.guard;
  if (!guard) return undefined;
  return {
    ...ctx.guard,
    guard,
    context: {
      connection: ctx.connection.name,
      home: ctx.home ?? homedir(),
      identity: guardIdentity(identity),
    },
    session: { id: sessionId, ...(client ? { client } : {}), target },
    estimate: (sql) => estimateRows(upstream, sql),
    parameters: { ...serverParameters },
  };
}

/**
 * Refuses a client that logged in but asked for what this connection does not give (a database it does not
 * serve, replication): FATAL with `sqlstate`, recorded as a start-up `pg.error`, session ended `refused`.
 */
function refuse(socket: Socket, session: PgRecorder, sqlstate: string, message: string): void {
  session.event('pg.error', { sqlstate, message, context: 'startup' }, { errors: 1 });
  socket.end(errorResponse(sqlstate, message, { S: 'FATAL' }));
  session.end('refused');
}

/**
 * Refuses a client that logged in while identity is required and nobody is signed in: ErrorResponse FATAL
 * 28000 invalid_authorization_specification with `reason` and the hint to sign in (PostgreSQL docs, 55.8
 * "Error and Notice Message Fields": M, H), sent before any upstream connection; recorded as a closed
 * session holding `identity.refused` (policy/identity-refusal.ts). A refusal that cannot be recorded is sent
 * all the same.
 */
function refuseWithoutSignIn(
  socket: Socket,
  ctx: SessionContext,
  identity: Identity,
  reason: string,
  attempt: { parameters: StartupParameters; user: string; client: string },
): void {
  const { parameters, user } = attempt;
  const target = sessionTarget(ctx.connection, parameters.database || user);
  const app = parameters.application_name || null;
  try {
    recordIdentityRefusal(
      ctx.store,
      { kind: 'postgres', target, client: app, identity },
      {
        reason,
        client: app,
        target,
        sqlstate: SIGN_IN_SQLSTATE,
        user,
        database: parameters.database ?? user,
        client_address: attempt.client,
      },
    );
  } catch {
    // Refused either way: what cannot be recorded is not let through.
  }
  socket.end(errorResponse(SIGN_IN_SQLSTATE, reason, { S: 'FATAL', H: SIGN_IN_HINT }));
  closeAfterRefusal(socket);
}

/** SQLSTATE of a refusal for want of sign-in: invalid_authorization_specification (Appendix A). */
const SIGN_IN_SQLSTATE = '28000';
/** The HINT field of that refusal. */
const SIGN_IN_HINT = 'run glassbox login';

/** The upstream side of a connection, opening `database` (default: the connection's default database). */
export function upstreamTarget(connection: PgConnection, database = connection.database): UpstreamTarget {
  return {
    host: connection.host,
    port: connection.port,
    user: connection.user,
    database,
    password: connection.upstreamPassword,
    tls: connection.upstreamTls,
    ...(connection.upstreamCa ? { ca: connection.upstreamCa } : {}),
  };
}
