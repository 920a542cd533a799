/**
 * How a recorded request goes upstream through http-proxy: the target parsed once, the body handed over whole,
 * and the `accept-encoding` the recorder can follow.
 */
import type { IncomingMessage } from 'node:http';
import { Stream } from 'node:stream';
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
