/**
 * SCRAM-SHA-256 primitives shared by the client side (scram-client.ts) and the server side (scram-server.ts)
 * (RFC 5802, RFC 7677): stored credentials and PostgreSQL's verifier text, key derivation, the error type, and
 * the syntax helpers that read SCRAM messages (RFC 5802 section 7).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { saslPrep } from './saslprep.js';

/** Stored SCRAM credentials (what PostgreSQL keeps in pg_authid.rolpassword). */
export interface ScramCredentials {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** tls-server-end-point channel binding data (RFC 5929 section 4), as computed by tlsServerEndPoint (tls-server-end-point.ts). */
export interface ScramChannelBinding {
  type: 'tls-server-end-point';
  data: Buffer;
}

/** SASL mechanism names PostgreSQL offers in AuthenticationSASL (RFC 7677 section 3; "-PLUS" is RFC 5802 section 4). */
export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';

/** The only channel binding type PostgreSQL supports (RFC 5929 section 4). */
export const CBIND_TYPE = 'tls-server-end-point';
/** Length in bytes of a SHA-256 key, proof or signature. */
export const KEY_LENGTH = 32;

/** Why a SCRAM exchange failed; see {@link ScramError}. */
export type ScramErrorReason =
  | 'malformed'
  | 'invalid-proof'
  | 'nonce-mismatch'
  | 'channel-binding'
  | 'invalid-server-signature'
  | 'server-error'
  | 'unsupported-mechanism'
  | 'iteration-count'
  | 'invalid-state';

/**
 * The only error the SCRAM modules (scram*.ts, saslprep.ts, tls-server-end-point.ts) throw. `reason` is machine-readable: 'malformed' (syntax, RFC 5802 section 7),
 * 'invalid-proof' / 'invalid-server-signature' (section 3), 'nonce-mismatch', 'channel-binding' (section 6),
 * 'server-error' (an "e=" server-final-message), 'unsupported-mechanism', 'iteration-count', 'invalid-state'
 * (methods called out of order or twice).
 */
export class ScramError extends Error {
  readonly reason: ScramErrorReason;
  constructor(reason: ScramErrorReason, message: string = reason) {
    super(message);
    this.name = 'ScramError';
    this.reason = reason;
  }
}

/** Throws ScramError(reason, message). */
export function fail(reason: ScramErrorReason, message: string): never {
  throw new ScramError(reason, message);
}

export const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();
export const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();
export const xor = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((byte, i) => byte ^ (b[i] ?? 0)));
export const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/** SaltedPassword := Hi(Normalize(password), salt, i), then ClientKey, StoredKey, ServerKey (RFC 5802 section 3). */
export function deriveKeys(password: string, salt: Buffer, iterations: number) {
  const salted = pbkdf2Sync(Buffer.from(saslPrep(password), 'utf8'), salt, iterations, KEY_LENGTH, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}

/** Throws ScramError('iteration-count') unless `iterations` is a positive safe integer. */
export function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1)
    fail('iteration-count', `bad iterations ${iterations}`);
}

/**
 * Derives stored credentials from a password (RFC 5802 section 3, RFC 7677 section 3), SASLprep'ed as PostgreSQL does.
 * Defaults: 4096 iterations, 16 random salt bytes. Throws ScramError('iteration-count') or ('malformed') for an empty salt.
 */
export function makeScramCredentials(
  password: string,
  options: { iterations?: number; salt?: Buffer } = {},
): ScramCredentials {
  const iterations = options.iterations ?? 4096;
  const salt = options.salt ?? randomBytes(16);
  checkIterations(iterations);
  if (salt.length === 0) fail('malformed', 'SCRAM salt must not be empty');
  const { storedKey, serverKey } = deriveKeys(password, salt, iterations);
  return { iterations, salt: Buffer.from(salt), storedKey, serverKey };
}

/** PostgreSQL's verifier text: "SCRAM-SHA-256$<iter>:<salt b64>$<StoredKey b64>:<ServerKey b64>" (RFC 5803 shape). */
export function formatScramVerifier(c: ScramCredentials): string {
  const b64 = (b: Buffer) => b.toString('base64');
  return `${SCRAM_SHA_256}$${c.iterations}:${b64(c.salt)}$${b64(c.storedKey)}:${b64(c.serverKey)}`;
}

/** Parses the text {@link formatScramVerifier} produces (RFC 5803 shape). Throws ScramError('malformed'). */
export function parseScramVerifier(text: string): ScramCredentials {
  const match = /^SCRAM-SHA-256\$([1-9][0-9]{0,9}):([^$:]+)\$([^$:]+):([^$:]+)$/.exec(String(text));
  if (!match) fail('malformed', 'not a SCRAM-SHA-256 verifier');
  const [, iterations = '', salt = '', storedKey = '', serverKey = ''] = match;
  return {
    iterations: Number(iterations),
    salt: base64(salt, 'verifier salt'),
    storedKey: base64(storedKey, 'verifier StoredKey', KEY_LENGTH),
    serverKey: base64(serverKey, 'verifier ServerKey', KEY_LENGTH),
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/; // RFC 5802 section 7 "printable": nonces

/** Decodes strict base64 (RFC 5802 section 7 "base64"), optionally of an exact byte length. */
export function base64(value: string, what: string, length?: number): Buffer {
  if (value.length === 0 || !BASE64.test(value)) fail('malformed', `${what} is not valid base64`);
  const bytes = Buffer.from(value, 'base64');
  if (length !== undefined && bytes.length !== length) fail('malformed', `${what} must be ${length} bytes`);
  return bytes;
}

/** Decodes a SCRAM message: UTF-8 (RFC 5802 section 7), no NUL, not empty. */
export function decode(data: Buffer, what: string): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    fail('malformed', `${what} is not valid UTF-8`);
  }
  if (text.length === 0 || text.includes('\0')) fail('malformed', `${what} is empty or has NUL`);
  return text;
}

/** Reads attribute `name` ("x=value") from one comma-separated part, in the position the grammar requires. */
export function attribute(part: string | undefined, name: string, what: string, allowEmpty = false): string {
  if (!part?.startsWith(`${name}=`)) fail('malformed', `${what}: expected attribute "${name}=" here`);
  const value = part.slice(2);
  if (!allowEmpty && value.length === 0) fail('malformed', `${what}: empty "${name}=" attribute`);
  return value;
}

/** Checks a nonce is "printable" (RFC 5802 section 7). */
export function nonce(value: string, what: string): string {
  if (!PRINTABLE.test(value)) fail('malformed', `${what}: nonce has non-printable characters`);
  return value;
}

/** Optional trailing extensions (RFC 5802 section 7 "extensions"): attr-val pairs, which are ignored. */
export function extensions(parts: readonly string[], what: string): void {
  for (const part of parts) {
    if (!/^[A-Za-z]=.+$/s.test(part)) fail('malformed', `${what}: invalid attribute "${part}"`);
  }
}
