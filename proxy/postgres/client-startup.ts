import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import {
  authenticationOk,
  authenticationSasl,
  authenticationSaslContinue,
  authenticationSaslFinal,
  errorResponse,
  negotiateProtocolVersion,
} from './backend-messages.js';
import { FrameQueue } from './frame-queue.js';
import { type StartupPacket, StartupReader } from './framer.js';
import {
  parseSaslInitialResponse,
  parseStartupParameters,
  type StartupParameters,
} from './frontend-messages.js';
import { FRONTEND, STARTUP_CODE } from './messages.js';
import {
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  type ScramChannelBinding,
  type ScramCredentials,
  ScramError,
} from './scram.js';
import { ScramServer } from './scram-server.js';
import { ProtocolError } from './wire.js';

/** What a new client connection asked for. `socket` is the TLS socket when the client asked for TLS. */
export type ClientHello =
  | { kind: 'startup'; socket: Socket; tls: string | null; parameters: StartupParameters; queue: FrameQueue }
  | { kind: 'cancel'; processId: number; secretKey: Buffer };

/** TLS Glassbox can offer clients: a secure context and the channel binding data of its certificate. */
export interface ClientTls {
  context: SecureContext;
  binding: ScramChannelBinding;
}

/** A client failed to authenticate; `sqlstate` is what it was told (28P01, 28000, 08P01). */
export class ClientAuthError extends Error {
  constructor(
    readonly sqlstate: string,
    message: string,
  ) {
    super(message);
    this.name = 'ClientAuthError';
  }
}

/**
 * The client's start-up went wrong before a StartupMessage or CancelRequest was read: `closed` (by the
 * client), `timeout`, `malformed` (a packet PostgreSQL refuses), `tls` (the handshake failed).
 */
export class StartupError extends ProtocolError {
  constructor(
    readonly reason: 'closed' | 'timeout' | 'malformed' | 'tls',
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Reads a client's first message(s) (PostgreSQL docs, 55.2.1 "Start-up", 55.2.10 "SSL Session Encryption",
 * 55.2.11 "GSSAPI Session Encryption"), as PostgreSQL 15's ProcessStartupPacket does: one SSLRequest and one
 * GSSENCRequest at most, each answered with one byte ('S' when TLS is configured, else 'N'); a second one is
 * an unsupported protocol version (FATAL 0A000), and bytes sent after one before its answer are refused
 * (FATAL 08P01, "received unencrypted data after SSL request"). A protocol 3.2 StartupMessage gets
 * NegotiateProtocolVersion and continues as 3.0, `_pq_.` protocol options are reported as unrecognised, and a
 * CancelRequest is returned for the caller to route. Packets are parsed by offset, never re-copied.
 * @throws StartupError for anything else: an unsupported protocol version after answering with an
 * ErrorResponse; a packet with an impossible length after closing the connection unanswered
 */
export async function readClientHello(
  plain: Socket,
  tls: ClientTls | undefined,
  timeoutMs = 15_000,
): Promise<ClientHello> {
  let socket = plain;
  let protocol: string | null = null;
  const reader = new StartupReader();
  let sslDone = false;
  let gssDone = false;
  const deadline = Date.now() + timeoutMs;
  const refuse = (sqlstate: string, message: string, detail?: string): never => {
    socket.end(errorResponse(sqlstate, message, { S: 'FATAL', ...(detail ? { D: detail } : {}) }));
    throw new StartupError('malformed', message);
  };
  for (;;) {
    const packet = takeClientPacket(socket, reader);
    if (!packet) {
      reader.push(await readChunk(socket, deadline - Date.now()));
      continue;
    }
    if (packet.code === STARTUP_CODE.SSLRequest && !sslDone) {
      sslDone = true;
      const accept = tls !== undefined && reader.buffered === 0;
      socket.write(accept ? 'S' : 'N');
      if (reader.buffered > 0) refuse('08P01', 'received unencrypted data after SSL request', MITM_DETAIL);
      if (accept) {
        socket = await startTls(socket, tls.context, deadline - Date.now());
        protocol = (socket as TLSSocket).getProtocol();
        gssDone = true; // PostgreSQL takes no GSSENCRequest inside TLS
      }
      continue;
    }
    if (packet.code === STARTUP_CODE.GSSENCRequest && !gssDone) {
      gssDone = true;
      socket.write('N');
      if (reader.buffered > 0)
        refuse('08P01', 'received unencrypted data after GSSAPI encryption request', MITM_DETAIL);
      continue;
    }
    switch (packet.code) {
      case STARTUP_CODE.CancelRequest:
        if (packet.body.length < 8) throw new StartupError('malformed', 'CancelRequest too short');
        return {
          kind: 'cancel',
          processId: packet.body.readInt32BE(0),
          secretKey: Buffer.from(packet.body.subarray(4)),
        };
      case STARTUP_CODE.v30:
      case STARTUP_CODE.v32: {
        const parameters = parseStartupParameters(packet.body);
        const options = Object.keys(parameters).filter((name) => name.startsWith('_pq_.'));
        for (const option of options) delete parameters[option];
        if (packet.code === STARTUP_CODE.v32 || options.length > 0)
          socket.write(negotiateProtocolVersion(0, options));
        return {
          kind: 'startup',
          socket,
          tls: protocol,
          parameters,
          queue: new FrameQueue(socket, reader.rest()),
        };
      }
      default: {
        // A second SSLRequest or GSSENCRequest ends here too, as "unsupported frontend protocol 1234.5679".
        const major = packet.code >>> 16;
        refuse(
          '0A000',
          `unsupported frontend protocol ${major}.${packet.code & 0xffff}: server supports 3.0 to 3.2`,
        );
      }
    }
  }
}

/** PostgreSQL's detail for bytes that arrived before the answer to an encryption request. */
const MITM_DETAIL =
  'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.';

/**
 * Authenticates the client with SCRAM-SHA-256 against the connection's local password (PostgreSQL docs,
 * 55.3 "SASL Authentication") and sends AuthenticationOk. A wrong password is answered with FATAL 28P01,
 * as PostgreSQL does.
 * @throws ClientAuthError after answering the client
 */
export async function authenticateClient(
  socket: Socket,
  queue: FrameQueue,
  user: string,
  credentials: ScramCredentials,
  binding?: ScramChannelBinding,
): Promise<void> {
  const fail = (sqlstate: string, message: string): never => {
    socket.end(errorResponse(sqlstate, message, { S: 'FATAL' }));
    throw new ClientAuthError(sqlstate, message);
  };
  // Over TLS, SCRAM-SHA-256-PLUS binds the exchange to Glassbox's certificate (RFC 5929 tls-server-end-point).
  socket.write(authenticationSasl(binding ? [SCRAM_SHA_256_PLUS, SCRAM_SHA_256] : [SCRAM_SHA_256]));
  const server = new ScramServer(credentials, binding ? { channelBinding: binding } : {});
  try {
    const initial = await queue.next();
    if (initial.type !== FRONTEND.Password) fail('08P01', 'expected SASLInitialResponse');
    const { mechanism, data } = parseSaslInitialResponse(initial.body);
    socket.write(authenticationSaslContinue(server.clientFirst(mechanism, data)));
    const final = await queue.next();
    if (final.type !== FRONTEND.Password) fail('08P01', 'expected SASLResponse');
    socket.write(authenticationSaslFinal(server.clientFinal(final.body)));
    socket.write(authenticationOk());
  } catch (error) {
    if (error instanceof ClientAuthError) throw error;
    if (error instanceof ScramError) {
      fail(
        error.reason === 'malformed' ? '08P01' : '28P01',
        `password authentication failed for user "${user}"`,
      );
    }
    if (error instanceof ProtocolError) fail('08P01', error.message);
    throw error;
  }
}

/**
 * The next packet once complete. A length PostgreSQL would not accept closes the connection without an
 * answer, as the server does (postmaster's ProcessStartupPacket reports it as COMMERROR, to its log only):
 * the peer may not speak the protocol, and node-postgres, which writes Terminate when a client is ended
 * before its socket connects, expects a quiet close rather than an error.
 */
function takeClientPacket(socket: Socket, reader: StartupReader): StartupPacket | undefined {
  try {
    return reader.take();
  } catch (error) {
    socket.end();
    throw new StartupError('malformed', (error as Error).message);
  }
}

/** Upgrades a client socket to TLS as the server side, after answering its SSLRequest with 'S'. */
function startTls(socket: Socket, context: SecureContext, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
    const timer = setTimeout(
      () => {
        secure.destroy();
        reject(new StartupError('tls', 'the client did not complete the TLS handshake in time'));
      },
      Math.max(timeoutMs, 1),
    );
    secure.once('secure', () => {
      clearTimeout(timer);
      resolve(secure);
    });
    secure.once('error', (error) => {
      clearTimeout(timer);
      reject(new StartupError('tls', `TLS handshake with the client failed: ${error.message}`));
    });
  });
}

function readChunk(socket: Socket, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      // Removing a data listener does not pause a flowing socket: pause so nothing is lost between reads.
      socket.pause();
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      done();
      resolve(chunk);
    };
    const onClose = () => {
      done();
      reject(new StartupError('closed', 'the client closed the connection during start-up'));
    };
    const timer = setTimeout(
      () => {
        done();
        reject(new StartupError('timeout', 'no start-up packet within the time limit'));
      },
      Math.max(timeoutMs, 1),
    );
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
  });
}
