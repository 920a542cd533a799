/**
 * tls-server-end-point channel binding (RFC 5929 section 4) for SCRAM-SHA-256-PLUS: hashing a server's DER
 * certificate, with just enough DER reading (X.690) to find its signature algorithm.
 */
import { createHash } from 'node:crypto';
import { fail } from './scram.js';

/** Hash OIDs, and signature-algorithm OIDs with the hash they use (RFC 5929 section 4.1 picks from these). */
const OID_HASHES = new Map<string, string>(
  Object.entries({
    md5: '1.2.840.113549.1.1.4',
    sha1: '1.2.840.113549.1.1.5 1.3.14.3.2.29 1.2.840.10045.4.1 1.2.840.10040.4.3 1.3.14.3.2.26',
    sha224: '1.2.840.113549.1.1.14 1.2.840.10045.4.3.1 2.16.840.1.101.3.4.3.1 2.16.840.1.101.3.4.2.4',
    sha256: '1.2.840.113549.1.1.11 1.2.840.10045.4.3.2 2.16.840.1.101.3.4.3.2 2.16.840.1.101.3.4.2.1',
    sha384: '1.2.840.113549.1.1.12 1.2.840.10045.4.3.3 2.16.840.1.101.3.4.2.2',
    sha512: '1.2.840.113549.1.1.13 1.2.840.10045.4.3.4 2.16.840.1.101.3.4.2.3',
  }).flatMap(([hash, oids]) => oids.split(' ').map((oid): [string, string] => [oid, hash])),
);
const RSASSA_PSS = '1.2.840.113549.1.1.10';

/** One DER element at `offset` (X.690 section 8.1): tag and content bounds. */
function der(buf: Buffer, offset: number, tag: number, end = buf.length): { start: number; end: number } {
  let length = buf[offset + 1];
  if (offset + 1 >= end || buf[offset] !== tag || length === undefined)
    fail('malformed', 'certificate is not valid DER');
  let start = offset + 2;
  if (length > 0x7f) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > end) fail('malformed', 'bad DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[start + i] ?? 0);
    start += count;
  }
  if (start + length > end) fail('malformed', 'certificate DER is truncated');
  return { start, end: start + length };
}

function oidAt(buf: Buffer, offset: number, end: number): { oid: string; end: number } {
  const el = der(buf, offset, 0x06, end);
  const arcs: number[] = [];
  let value = 0;
  for (const byte of buf.subarray(el.start, el.end)) {
    value = value * 128 + (byte & 0x7f);
    if (byte < 0x80) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const top = Math.min(2, Math.floor(first / 40));
  return { oid: [top, first - 40 * top, ...arcs].join('.'), end: el.end };
}

/**
 * tls-server-end-point channel binding data (RFC 5929 section 4.1): the hash of the server's DER certificate, using
 * the hash of its signatureAlgorithm (read from the DER itself; RSASSA-PSS uses its hashAlgorithm parameter), or
 * SHA-256 when that is MD5 or SHA-1. Throws ScramError 'malformed' (bad DER) or 'channel-binding' (e.g. Ed25519).
 */
export function tlsServerEndPoint(certificateDer: Buffer): Buffer {
  const cert = der(certificateDer, 0, 0x30);
  const tbs = der(certificateDer, cert.start, 0x30, cert.end);
  const alg = der(certificateDer, tbs.end, 0x30, cert.end);
  const signature = oidAt(certificateDer, alg.start, alg.end);
  let hash = OID_HASHES.get(signature.oid);
  if (signature.oid === RSASSA_PSS) {
    hash = 'sha1'; // RFC 4055 section 3.1 default hashAlgorithm
    const params = der(certificateDer, signature.end, 0x30, alg.end);
    if (params.start < params.end && certificateDer[params.start] === 0xa0) {
      const explicit = der(certificateDer, params.start, 0xa0, params.end);
      const hashAlg = der(certificateDer, explicit.start, 0x30, explicit.end);
      hash = OID_HASHES.get(oidAt(certificateDer, hashAlg.start, hashAlg.end).oid);
    }
  }
  if (hash === undefined) {
    fail('channel-binding', `no tls-server-end-point hash for signature ${signature.oid}`);
  }
  return createHash(hash === 'md5' || hash === 'sha1' ? 'sha256' : hash)
    .update(certificateDer)
    .digest();
}
