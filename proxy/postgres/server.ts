import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { isDeepStrictEqual } from 'node:util';
import { UserError } from '../common/errors.js';
import type { IdentitySource } from '../identity/types.js';
import type { PauseCheck } from '../policy/recording-switch.js';
import { GroupCommit } from '../store/group-commit.js';
import type { Store } from '../store/store.js';
import { errorResponse } from './backend-messages.js';
import { CancelRegistry } from './cancel.js';
import type { ClientTls } from './client-startup.js';
import type { PgConnection } from './connections.js';
import type { PgGuardOptions } from './guard-gate.js';
import { detectorsOnlyPolicy, type PgMaskingPolicy, type PgMaskingSource } from './masking.js';
import {
  closeAfterRefusal,
  DEFAULT_PRE_AUTH_LIMITS,
  PreAuthGuard,
  type PreAuthHealth,
  type PreAuthLimits,
} from './pre-auth.js';
import type { PgRelay } from './relay.js';
import { makeScramCredentials } from './scram.js';
import { serveClient } from './session.js';
import { TableNamesRegistry } from './table-names.js';
import { tlsServerEndPoint } from './tls-server-end-point.js';

/**
 * Settings shared by all PostgreSQL listeners. The guardrails (`guard`, `approvals`, `approvalMode`,
 * `drivingPrompt`, see guard-gate.ts) check every statement when `guard` is given.
 */
export interface PgProxyOptions extends PgGuardOptions {
  store: Store;
  /**
   * The engine's live sign-in: each client connection takes `current()` when its session is created; while
   * `refusal()` is non-null (identity required, nobody signed in) a client that logged in is refused with
   * FATAL 28000, recorded, and never connected upstream.
   */
  identity: Pick<IdentitySource, 'current' | 'refusal'>;
  host: string;
  /** Result rows sampled per statement. */
  sampleRows: number;
  /** Certificate and key (PEM file paths) to offer TLS to clients. */
  tls?: { cert: string; key: string };
  /** The engine's recording switch: while `paused`, statements are forwarded without being recorded. */
  pause?: PauseCheck;
  /** Limits on connections not yet authenticated (default {@link DEFAULT_PRE_AUTH_LIMITS}). */
  preAuth?: PreAuthLimits;
  /** Where log lines about them go (one per client address when something first happens, then ≤ 1 a minute); default stderr. */
  warn?: (message: string) => void;
  /**
   * The masking policy in effect, read at each statement and result set (so a change applies to the next one
   * without a restart). Default: the built-in detectors in storage, no column rules.
   */
  masking?: PgMaskingSource;
}

/** A listening connection: its name and the address clients use. */
export interface PgListenerInfo {
  name: string;
  port: number;
}

/** What {@link PgProxy.apply} did with a new set of connections, by connection name. */
export interface PgChanges {
  added: PgListenerInfo[];
  /** Changed settings or secrets: new clients get the new ones, open sessions finish on the old. */
  changed: PgListenerInfo[];
  /** Listener closed; its open sessions were ended with FATAL 57P01. */
  removed: string[];
  /** Could not listen (the port is taken, …): the message says why and what to do. */
  failed: Array<{ name: string; error: string }>;
}

/**
 * The PostgreSQL side of the engine: one listener per configured connection (127.0.0.1, from port 6432 up),
 * a shared cancel registry (a CancelRequest may arrive on any listener) and group commit for recording.
 * A failure in one client connection never affects the others. The set of connections can change while it
 * runs ({@link apply}).
 */
export class PgProxy {
  private readonly listeners = new Map<string, { connection: PgConnection; server: Server }>();
  /** Live relays and client sockets, with the name of the connection they came in on. */
  private readonly relays = new Map<PgRelay, string>();
  private readonly sockets = new Map<Socket, string>();
  private readonly cancels: CancelRegistry;
  private readonly commit: GroupCommit;
  private readonly tls: ClientTls | undefined;
  private readonly guard: PreAuthGuard;
  private readonly tables = new TableNamesRegistry();
  private readonly masking: PgMaskingSource;

  /** @throws UserError when the configured certificate or key cannot be read */
  constructor(private readonly options: PgProxyOptions) {
    this.cancels = new CancelRegistry(options.store);
    this.commit = new GroupCommit(options.store);
    this.tls = options.tls ? loadClientTls(options.tls) : undefined;
    const fallback: PgMaskingPolicy = detectorsOnlyPolicy();
    this.masking = options.masking ?? (() => fallback);
    this.guard = new PreAuthGuard(
      options.preAuth ?? DEFAULT_PRE_AUTH_LIMITS,
      options.warn ?? ((message) => process.stderr.write(`glassbox: ${message}\n`)),
    );
  }

  /** Connections before authentication, per listener, and what each client address did before it. */
  health(): PreAuthHealth {
    return this.guard.health();
  }

  /**
   * Opens a listener for each connection, or none: on a failure the ones opened are closed again.
   * @throws UserError naming the connection and port when a port cannot be bound
   */
  async start(connections: PgConnection[]): Promise<PgListenerInfo[]> {
    const listening: PgListenerInfo[] = [];
    for (const connection of connections) {
      try {
        listening.push(await this.open(connection));
      } catch (error) {
        await this.stop();
        throw error;
      }
    }
    return listening;
  }

  /**
   * Moves to a new set of connections without a restart. A removed connection's listener closes and its open
   * sessions end with FATAL 57P01. A changed one (settings or secrets) takes new clients with the new
   * settings, on the same listener when its port stays; sessions already open finish on the old settings.
   * Unchanged ones are left alone. Never throws: a port that cannot be bound is reported in `failed`.
   */
  async apply(connections: PgConnection[]): Promise<PgChanges> {
    const changes: PgChanges = { added: [], changed: [], removed: [], failed: [] };
    const next = new Map(connections.map((connection) => [connection.name, connection]));
    const before = new Set(this.listeners.keys());
    for (const [name, current] of [...this.listeners]) {
      const wanted = next.get(name);
      if (!wanted || !isDeepStrictEqual(wanted, current.connection)) this.tables.forget(name);
      if (wanted && wanted.listen === current.connection.listen) continue;
      this.listeners.delete(name);
      current.server.close();
      if (!wanted) {
        this.endSessions(name);
        changes.removed.push(name);
      }
    }
    for (const connection of connections) {
      const current = this.listeners.get(connection.name);
      if (current && isDeepStrictEqual(current.connection, connection)) continue;
      const entry = { name: connection.name, port: connection.listen };
      if (current) {
        // Same port: the listener stays open and hands new clients to the new settings.
        current.server.removeAllListeners('connection');
        current.server.on('connection', this.accept(connection));
        current.connection = connection;
        changes.changed.push(entry);
        continue;
      }
      try {
        const opened = await this.open(connection);
        (before.has(connection.name) ? changes.changed : changes.added).push(opened);
      } catch (error) {
        changes.failed.push({ name: connection.name, error: (error as Error).message });
      }
    }
    return changes;
  }

  /** Names of the connections listening now, with their ports. */
  listening(): PgListenerInfo[] {
    return [...this.listeners.values()].map(({ connection, server }) => {
      const address = server.address();
      return {
        name: connection.name,
        port: typeof address === 'object' && address ? address.port : connection.listen,
      };
    });
  }

  /**
   * The connections served now, with their secrets (the upstream password from the vault): for the masking
   * preview's side connections (api/routes/policy.ts), which log in upstream as the proxy does.
   */
  connections(): PgConnection[] {
    return [...this.listeners.values()].map(({ connection }) => connection);
  }

  /** Stops listening, ends every session (FATAL 57P01 to clients), and flushes pending records. */
  async stop(): Promise<void> {
    for (const relay of [...this.relays.keys()]) relay.shutdown();
    for (const socket of this.sockets.keys()) socket.destroy();
    const servers = [...this.listeners.values()].map(({ server }) => server);
    this.listeners.clear();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.guard.close();
    this.tables.closeAll();
    this.commit.flush();
  }

  /**
   * Opens one connection's listener.
   * @throws UserError naming the connection and port when the port cannot be bound
   */
  private async open(connection: PgConnection): Promise<PgListenerInfo> {
    const server = createServer({ noDelay: true, pauseOnConnect: false }, this.accept(connection));
    server.listen(connection.listen, this.options.host);
    try {
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([error]) => Promise.reject(error)),
      ]);
    } catch (error) {
      server.close();
      const code = (error as NodeJS.ErrnoException).code;
      throw new UserError(
        `Port ${connection.listen} for PostgreSQL connection "${connection.name}" is ${code === 'EADDRINUSE' ? 'already in use' : `unavailable (${code})`}. ` +
          `Free it, or move the connection: glassbox pg remove ${connection.name} && glassbox pg add ${connection.name} --listen PORT …`,
      );
    }
    this.listeners.set(connection.name, { connection, server });
    const address = server.address();
    return {
      name: connection.name,
      port: typeof address === 'object' && address ? address.port : connection.listen,
    };
  }

  /** The handler of a listener's new client sockets, serving them as `connection`. */
  private accept(connection: PgConnection): (socket: Socket) => void {
    const credentials = makeScramCredentials(connection.localPassword);
    return (socket) => {
      this.sockets.set(socket, connection.name);
      socket.on('close', () => this.sockets.delete(socket));
      const ticket = this.guard.admit(connection.name, socket.remoteAddress ?? '?');
      if (!ticket) return tooManyClients(socket);
      serveClient(socket, {
        connection,
        credentials,
        store: this.options.store,
        commit: this.commit,
        cancels: this.cancels,
        identity: this.options.identity,
        tls: this.tls,
        sampleRows: this.options.sampleRows,
        ...(this.options.pause ? { pause: this.options.pause } : {}),
        track: (relay) => {
          this.relays.set(relay, connection.name);
          return () => this.relays.delete(relay);
        },
        preAuth: { guard: this.guard, ticket },
        masking: { policy: this.masking, tables: this.tables },
        ...(this.options.guard ? { guard: guardOptions(this.options) } : {}),
      }).catch(() => socket.destroy());
    };
  }

  /** Ends the sessions of a removed connection: FATAL 57P01 to relayed ones, a close to those in start-up. */
  private endSessions(name: string): void {
    for (const [relay, of] of [...this.relays]) if (of === name) relay.shutdown('connection_removed');
    for (const [socket, of] of this.sockets) if (of === name) socket.destroySoon();
  }
}

/** The guardrails' part of the proxy's options. */
function guardOptions(options: PgProxyOptions): PgGuardOptions {
  return {
    ...(options.guard ? { guard: options.guard } : {}),
    ...(options.approvals ? { approvals: options.approvals } : {}),
    ...(options.approvalMode ? { approvalMode: options.approvalMode } : {}),
    ...(options.drivingPrompt ? { drivingPrompt: options.drivingPrompt } : {}),
    ...(options.onQueue ? { onQueue: options.onQueue } : {}),
  };
}

/**
 * Refuses a connection over its listener's cap as PostgreSQL does when it has no room ("sorry, too many
 * clients already", FATAL 53300), without reading what the client sent (libpq takes an ErrorResponse even in
 * answer to its SSLRequest), and closes it within a second.
 */
function tooManyClients(socket: Socket): void {
  socket.on('error', () => socket.destroy());
  socket.end(errorResponse('53300', 'sorry, too many clients already', { S: 'FATAL' }));
  closeAfterRefusal(socket);
}

function loadClientTls(files: { cert: string; key: string }): ClientTls {
  try {
    const cert = readFileSync(files.cert);
    const key = readFileSync(files.key);
    return {
      context: createSecureContext({ cert, key }),
      binding: { type: 'tls-server-end-point', data: tlsServerEndPoint(new X509Certificate(cert).raw) },
    };
  } catch (error) {
    throw new UserError(
      `could not load the PostgreSQL TLS certificate (postgres.tls in config.json): ${(error as Error).message}`,
    );
  }
}
