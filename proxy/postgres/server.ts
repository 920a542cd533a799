import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { UserError } from '../common/errors.js';
import type { PauseCheck } from '../policy/recording-switch.js';
import { GroupCommit } from '../store/group-commit.js';
import type { Store } from '../store/store.js';
import type { Identity } from '../store/types.js';
import { errorResponse } from './backend-messages.js';
import { CancelRegistry } from './cancel.js';
import type { ClientTls } from './client-startup.js';
import type { PgConnection } from './connections.js';
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
import { tlsServerEndPoint } from './tls-server-end-point.js';

/** Settings shared by all PostgreSQL listeners. */
export interface PgProxyOptions {
  store: Store;
  identity: Identity;
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
}

/** A listening connection: its name and the address clients use. */
export interface PgListenerInfo {
  name: string;
  port: number;
}

/**
 * The PostgreSQL side of the engine: one listener per configured connection (127.0.0.1, from port 6432 up),
 * a shared cancel registry (a CancelRequest may arrive on any listener) and group commit for recording.
 * A failure in one client connection never affects the others.
 */
export class PgProxy {
  private readonly servers: Array<{ name: string; server: Server }> = [];
  private readonly relays = new Set<PgRelay>();
  private readonly sockets = new Set<Socket>();
  private readonly cancels: CancelRegistry;
  private readonly commit: GroupCommit;
  private readonly tls: ClientTls | undefined;
  private readonly guard: PreAuthGuard;

  /** @throws UserError when the configured certificate or key cannot be read */
  constructor(private readonly options: PgProxyOptions) {
    this.cancels = new CancelRegistry(options.store);
    this.commit = new GroupCommit(options.store);
    this.tls = options.tls ? loadClientTls(options.tls) : undefined;
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
   * Opens a listener for each connection.
   * @throws UserError naming the connection and port when a port cannot be bound
   */
  async start(connections: PgConnection[]): Promise<PgListenerInfo[]> {
    const listening: PgListenerInfo[] = [];
    for (const connection of connections) {
      const credentials = makeScramCredentials(connection.localPassword);
      const server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
        this.sockets.add(socket);
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
            this.relays.add(relay);
            return () => this.relays.delete(relay);
          },
          preAuth: { guard: this.guard, ticket },
        }).catch(() => socket.destroy());
      });
      server.listen(connection.listen, this.options.host);
      try {
        await Promise.race([
          once(server, 'listening'),
          once(server, 'error').then(([error]) => Promise.reject(error)),
        ]);
      } catch (error) {
        await this.stop();
        const code = (error as NodeJS.ErrnoException).code;
        throw new UserError(
          `Port ${connection.listen} for PostgreSQL connection "${connection.name}" is ${code === 'EADDRINUSE' ? 'already in use' : `unavailable (${code})`}. ` +
            `Free it, or move the connection: glassbox pg remove ${connection.name} && glassbox pg add ${connection.name} --listen PORT …`,
        );
      }
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : connection.listen;
      this.servers.push({ name: connection.name, server });
      listening.push({ name: connection.name, port });
    }
    return listening;
  }

  /** Stops listening, ends every session (FATAL 57P01 to clients), and flushes pending records. */
  async stop(): Promise<void> {
    for (const relay of [...this.relays]) relay.shutdown();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      this.servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    this.servers.length = 0;
    this.guard.close();
    this.commit.flush();
  }
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
