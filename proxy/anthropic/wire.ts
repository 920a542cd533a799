import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** Decoders by content coding (RFC 9110 §8.4.1), for recording compressed replies. */
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** Content encodings the recorder can decode; the proxy asks upstream for no others. */
export const DECODABLE_ENCODINGS: ReadonlySet<string> = new Set(Object.keys(DECODERS));

/** A decoder for a (lower-cased, trimmed) `content-encoding`, or undefined for identity and unknown codings. */
export function decoderFor(encoding: string): (() => Transform) | undefined {
  return Object.hasOwn(DECODERS, encoding) ? DECODERS[encoding] : undefined;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not relay. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
]);

/** Upstream response headers as a raw [name, value, …] list minus hop-by-hop ones, keeping case and order. */
export function relayableHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
