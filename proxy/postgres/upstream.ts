import { readFileSync } from 'node:fs';
import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { describeError } from '../common/errors.js';
import type { PgConnectionConfig } from '../config.js';
import {
  type ErrorFields,
  parseAuthentication,
  parseBackendKeyData,
  parseErrorFields,
  parseParameterStatus,
} from './backend-messages.js';
import { FrameQueue } from './frame-queue.js';
import {
  cancelRequest,
  passwordMessage,
  saslInitialResponse,
  saslResponse,
  sslRequest,
  startupMessage,
} from './frontend-messages.js';
import { md5PasswordResponse } from './md5-password.js';
import { BACKEND } from './messages.js';
import { ScramClient } from './scram-client.js';
import { tlsServerEndPoint } from './tls-server-end-point.js';

/** Where and how to reach the upstream server. */
export interface UpstreamTarget {
  host: string;
  port: number;
  user: string;
  database: string;
  password: string | undefined;
  tls: PgConnectionConfig['upstreamTls'];
  /** PEM file of the CA to trust for verify-full (default: the system's CAs). */
  ca?: string;
}

/** An authenticated upstream connection, ready for queries. */
export interface UpstreamSession {
  socket: Socket;
  /** ParameterStatus values the server sent during startup (server_version, client_encoding, …). */
  parameters: Record<string, string>;
  /** The server's BackendKeyData, for forwarding CancelRequests. */
  backendKey: { processId: number; secretKey: Buffer } | undefined;
  /** TLS protocol in use, e.g. "TLSv1.3", or null for a plain connection. */
  tls: string | null;
  /** Bytes the server sent after ReadyForQuery (normally none). */
  leftover: Buffer;
}

/**
 * SQLSTATEs of an upstream's start-up refusal that are about what the client asked for, not about Glassbox's
 * credential, so the client gets them as they are: 3D000 invalid_catalog_name (no such database), 42501
 * insufficient_privilege (no CONNECT privilege on it) (PostgreSQL docs, Appendix A "Error Codes").
 */
const CLIENTS_OWN = new Set(['3D000', '42501']);

/**
 * The upstream could not be reached, refused TLS or authentication, or broke the protocol. Clients get it as
 * SQLSTATE 08006 (connection_failure) with this message, except refusals of the database asked for (3D000,
 * 42501), which keep the server's code; `fields` holds the server's own ErrorResponse.
 */
export class UpstreamError extends Error {
  readonly sqlstate: string;
  constructor(
    message: string,
    readonly fields?: ErrorFields,
  ) {
    super(message);
    this.name = 'UpstreamError';
    this.sqlstate = fields?.C && CLIENTS_OWN.has(fields.C) ? fields.C : '08006';
  }
}

/**
 * Connects and authenticates to the upstream server with the vaulted credential (PostgreSQL docs, 55.2.1
 * "Start-up", 55.3 "SASL Authentication"): optional TLS per `target.tls` (libpq sslmode semantics), then a
 * protocol 3.0 StartupMessage carrying `parameters` (application_name etc.), then trust, cleartext, MD5 or
 * SCRAM-SHA-256 (-PLUS with tls-server-end-point channel binding over TLS), until ReadyForQuery. Each step
 * waits at most `timeoutMs` (ms); `signal` aborts the attempt at once (the client went away), closing its
 * socket.
 * @throws UpstreamError naming the host and the cause
 */
export async function connectUpstream(
  target: UpstreamTarget,
  parameters: Record<string, string>,
  timeoutMs = 10_000,
  signal?: AbortSignal,
): Promise<UpstreamSession> {
  const where = `${target.host}:${target.port}`;
  // The client left: whatever socket the attempt is on is destroyed, which fails the step waiting on it.
  let current: Socket | undefined;
  const abandon = () =>
    current?.destroy(new UpstreamError(`the client left while connecting to upstream ${where}`));
  if (signal?.aborted) throw new UpstreamError(`the client left before connecting to upstream ${where}`);
  signal?.addEventListener('abort', abandon, { once: true });
  try {
    return await handshake(target, parameters, timeoutMs, where, (socket) => {
      current = socket;
    });
  } finally {
    signal?.removeEventListener('abort', abandon);
  }
}

/** {@link connectUpstream}'s steps; `using` learns each socket the attempt moves to (TCP, then TLS). */
async function handshake(
  target: UpstreamTarget,
  parameters: Record<string, string>,
  timeoutMs: number,
  where: string,
  using: (socket: Socket) => void,
): Promise<UpstreamSession> {
  let socket = await openTcp(target, timeoutMs, using);
  try {
    let tls: string | null = null;
    if (target.tls !== 'disable') {
      const secured = await negotiateTls(socket, target, timeoutMs);
      if (secured) {
        socket = secured;
        using(secured);
        tls = secured.getProtocol();
      }
    }
    socket.write(startupMessage({ ...parameters, user: target.user, database: target.database }));
    const queue = new FrameQueue(socket);
    const result: UpstreamSession = {
      socket,
      parameters: {},
      backendKey: undefined,
      tls,
      leftover: Buffer.alloc(0),
    };
    let scram: ScramClient | undefined;
    for (;;) {
      const frame = await queue.next(timeoutMs);
      switch (frame.type) {
        case BACKEND.Authentication:
          scram = answerAuthentication(socket, target, frame.body, scram);
          break;
        case BACKEND.ErrorResponse: {
          const fields = parseErrorFields(frame.body);
          throw new UpstreamError(
            `upstream ${where} refused the connection: ${fields.M ?? 'unknown error'}`,
            fields,
          );
        }
        case BACKEND.ParameterStatus: {
          const { name, value } = parseParameterStatus(frame.body);
          result.parameters[name] = value;
          break;
        }
        case BACKEND.BackendKeyData:
          result.backendKey = parseBackendKeyData(frame.body);
          break;
        case BACKEND.ReadyForQuery:
          result.leftover = queue.detach();
          return result;
        default:
          // NoticeResponse and NegotiateProtocolVersion need no answer during start-up.
          break;
      }
    }
  } catch (error) {
    socket.destroy();
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(`upstream ${where} failed during start-up: ${describeError(error)}`);
  }
}

/** Answers one Authentication request; returns the SCRAM exchange in progress, if any. */
function answerAuthentication(
  socket: Socket,
  target: UpstreamTarget,
  body: Buffer,
  scram: ScramClient | undefined,
): ScramClient | undefined {
  const request = parseAuthentication(body);
  const password = () => {
    if (target.password === undefined) {
      throw new UpstreamError(
        `upstream ${target.host}:${target.port} asks for a password and Glassbox has none for this connection`,
      );
    }
    return target.password;
  };
  switch (request.kind) {
    case 'Ok':
      return undefined;
    case 'CleartextPassword':
      socket.write(passwordMessage(password()));
      return undefined;
    case 'MD5Password':
      socket.write(passwordMessage(md5PasswordResponse(target.user, password(), request.salt)));
      return undefined;
    case 'SASL': {
      const certificate =
        'getPeerX509Certificate' in socket ? (socket as TLSSocket).getPeerX509Certificate() : undefined;
      const client = new ScramClient(password(), {
        ...(certificate
          ? { channelBinding: { type: 'tls-server-end-point', data: tlsServerEndPoint(certificate.raw) } }
          : {}),
      });
      const mechanism = client.chooseMechanism(request.mechanisms);
      socket.write(saslInitialResponse(mechanism, client.clientFirst()));
      return client;
    }
    case 'SASLContinue':
      if (!scram) throw new UpstreamError('upstream sent SASLContinue without a SASL exchange');
      socket.write(saslResponse(scram.clientFinal(request.data)));
      return scram;
    case 'SASLFinal':
      if (!scram) throw new UpstreamError('upstream sent SASLFinal without a SASL exchange');
      scram.verifyServerFinal(request.data);
      return undefined;
    case 'Unsupported':
      throw new UpstreamError(
        `upstream asks for an authentication method Glassbox does not support (code ${request.code})`,
      );
  }
}

function openTcp(
  target: { host: string; port: number },
  timeoutMs: number,
  opened: (socket: Socket) => void = () => undefined,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: target.host, port: target.port, noDelay: true });
    opened(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new UpstreamError(
          `could not connect to upstream ${target.host}:${target.port}: timed out after ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new UpstreamError(
          `could not connect to upstream ${target.host}:${target.port}: ${describeError(error)}`,
        ),
      );
    });
  });
}

/** SSLRequest, then TLS if the server says 'S'. Returns undefined when it says 'N' and the mode allows plain. */
async function negotiateTls(
  socket: Socket,
  target: UpstreamTarget,
  timeoutMs: number,
): Promise<TLSSocket | undefined> {
  socket.write(sslRequest());
  const answer = await readOneByte(socket, timeoutMs);
  if (answer === 'N') {
    if (target.tls === 'prefer') return undefined;
    throw new UpstreamError(
      `upstream ${target.host}:${target.port} does not accept TLS, but the connection requires it (${target.tls})`,
    );
  }
  if (answer !== 'S')
    throw new UpstreamError(`upstream answered the SSLRequest with '${answer}', not S or N`);
  const verify = target.tls === 'verify-full';
  return new Promise((resolve, reject) => {
    const secured = tlsConnect({
      socket,
      servername: isIP(target.host) ? undefined : target.host,
      rejectUnauthorized: verify,
      ...(verify && target.ca ? { ca: readFileSync(target.ca) } : {}),
    });
    secured.once('secureConnect', () => {
      secured.removeAllListeners('error');
      resolve(secured);
    });
    secured.once('error', (error) =>
      reject(
        new UpstreamError(`TLS with upstream ${target.host}:${target.port} failed: ${describeError(error)}`),
      ),
    );
  });
}

function readOneByte(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new UpstreamError('upstream did not answer the SSLRequest')),
      timeoutMs,
    );
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      if (chunk.length > 1) socket.unshift(chunk.subarray(1));
      resolve(String.fromCharCode(chunk[0]!));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new UpstreamError(`upstream closed during the SSLRequest: ${describeError(error)}`));
    });
  });
}

/**
 * Forwards a cancel to the upstream backend over a fresh connection (PostgreSQL docs, 55.2.9 "Canceling
 * Requests in Progress"), through TLS when the connection uses it. Best effort, as in libpq: errors are
 * reported to the caller, the server never answers.
 */
export async function sendCancel(
  target: UpstreamTarget,
  processId: number,
  secretKey: Buffer,
): Promise<void> {
  let socket = await openTcp(target, 5_000);
  try {
    if (target.tls !== 'disable') socket = (await negotiateTls(socket, target, 5_000)) ?? socket;
    await new Promise<void>((resolve) => socket.end(cancelRequest(processId, secretKey), () => resolve()));
  } finally {
    socket.destroySoon();
  }
}
