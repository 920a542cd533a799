/**
 * How a recorded request goes upstream through http-proxy: the target parsed once, the body handed over whole,
 * and the `accept-encoding` the recorder can follow.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Stream } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type httpProxy from 'http-proxy';
import { DECODABLE_ENCODINGS } from './wire.js';

/**
 * The upstream as the parsed target http-proxy wants (fields of Node's legacy URL object). Given a string,
 * http-proxy would parse it again on every request.
 */
export function proxyTarget(upstream: URL): httpProxy.ServerOptions['target'] {
  return {
    protocol: upstream.protocol,
    host: upstream.host,
    // IPv6 literals without their brackets, as a socket address.
    hostname: upstream.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: upstream.port,
    pathname: upstream.pathname,
    path: `${upstream.pathname}${upstream.search}`,
  };
}

/**
 * The request body as http-proxy's `buffer` option: http-proxy calls `pipe(upstreamRequest)`, and this ends
 * the upstream request with the whole body at once. A PassThrough would hand the body over a tick later, in
 * a separate write; this way the body leaves with the request head in one write as soon as a socket is free.
 */
export function bodySource(body: Buffer): Stream {
  const source = new Stream();
  source.pipe = <T extends NodeJS.WritableStream>(destination: T): T => {
    destination.end(body);
    return destination;
  };
  return source;
}

/**
 * The body to send upstream: what arrived, or `forward` — what outbound masking made of it — and then the
 * request's framing headers are made to fit it: its Content-Length, no Transfer-Encoding, and no
 * Content-Encoding when it goes as plain JSON (`decoded`). http-proxy copies the request's own headers
 * upstream, so they are changed there; call this once the request is recorded (as it arrived).
 */
export function upstreamBody(
  req: IncomingMessage,
  bytes: Buffer,
  forward: { bytes: Buffer; decoded: boolean } | undefined,
): Buffer {
  if (!forward) return bytes;
  req.headers['content-length'] = String(forward.bytes.length);
  delete req.headers['transfer-encoding'];
  if (forward.decoded) delete req.headers['content-encoding'];
  return forward.bytes;
}

/**
 * Header overrides for the upstream request: `accept-encoding` narrowed to encodings the recorder can decode
 * (Claude Code also offers zstd, which Node 20 cannot decode), so replies stay recordable.
 */
export function upstreamHeaders(req: IncomingMessage, streaming: boolean): Record<string, string> {
  const accepted = req.headers['accept-encoding'];
  if (!accepted) return {};
  // Streamed replies are asked for uncompressed: then every content block boundary is checkpointed before it
  // is relayed (a compressed stream could only be recorded behind the bytes already sent).
  if (streaming) return { 'accept-encoding': 'identity' };
  const kept = accepted
    .split(',')
    .map((part) => part.trim())
    .filter(
      (part) =>
        DECODABLE_ENCODINGS.has(part.split(';')[0]!.trim().toLowerCase()) || part.startsWith('identity'),
    );
  return { 'accept-encoding': kept.length ? kept.join(', ') : 'identity' };
}

/** The upstream took too long: to accept the connection (`connect`), or to answer with a response head. */
export class UpstreamTimeout extends Error {
  constructor(
    readonly phase: 'connect' | 'headers',
    readonly ms: number,
  ) {
    super(
      phase === 'connect'
        ? `no connection to the upstream within ${ms} ms`
        : `no response head from the upstream within ${ms} ms`,
    );
    this.name = 'UpstreamTimeout';
  }
}

/** How long an upstream request may take to connect and to get its response head, ms. */
export interface UpstreamTimeouts {
  connectMs: number;
  headersMs: number;
}

/**
 * Bounds an upstream request: destroys it with an {@link UpstreamTimeout} when a new connection (TCP, and the
 * TLS handshake for https) is not up within `connectMs`, or the response head has not come `headersMs` after
 * the request was made. A kept-alive socket is already connected. The error reaches http-proxy's error
 * callback like any other upstream failure.
 */
export function boundUpstreamRequest(proxyReq: ClientRequest, timeouts: UpstreamTimeouts): void {
  const headers = setTimeout(
    () => proxyReq.destroy(new UpstreamTimeout('headers', timeouts.headersMs)),
    timeouts.headersMs,
  ).unref();
  const clearHeaders = () => clearTimeout(headers);
  proxyReq.once('response', clearHeaders);
  proxyReq.once('close', clearHeaders);
  const boundConnect = (socket: Socket) => {
    // A kept-alive socket is connected and past its handshake already.
    if (proxyReq.reusedSocket) return;
    const secure = socket instanceof TLSSocket;
    // TLS: getProtocol() says 'unknown' while the handshake is still going on.
    const handshaking = secure && (socket as TLSSocket).getProtocol() === 'unknown';
    if (!socket.connecting && !handshaking) return;
    const connect = setTimeout(
      () => proxyReq.destroy(new UpstreamTimeout('connect', timeouts.connectMs)),
      timeouts.connectMs,
    ).unref();
    const clearConnect = () => clearTimeout(connect);
    socket.once(secure ? 'secureConnect' : 'connect', clearConnect);
    socket.once('close', clearConnect);
    proxyReq.once('close', clearConnect);
  };
  // http-proxy emits 'proxyReq' from the request's 'socket' event, so the socket is usually there already.
  if (proxyReq.socket) boundConnect(proxyReq.socket);
  else proxyReq.once('socket', boundConnect);
}
