import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Stored SCRAM credentials (what PostgreSQL keeps in pg_authid.rolpassword). */
export interface ScramCredentials {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** tls-server-end-point channel binding data (RFC 5929 section 4), as computed by {@link tlsServerEndPoint}. */
export interface ScramChannelBinding {
  type: 'tls-server-end-point';
  data: Buffer;
}

/** SASL mechanism names PostgreSQL offers in AuthenticationSASL (RFC 7677 section 3; "-PLUS" is RFC 5802 section 4). */
export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';

const CBIND_TYPE = 'tls-server-end-point';
const KEY_LENGTH = 32;
const MAX_ITERATIONS = 10_000_000;

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
 * The only error this module throws. `reason` is machine-readable: 'malformed' (syntax, RFC 5802 section 7),
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
function fail(reason: ScramErrorReason, message: string): never {
  throw new ScramError(reason, message);
}

// RFC 3454 code point tables, as space-separated hex ranges.
const ranges = (spec: string): number[] =>
  spec.split(' ').flatMap((range) => range.split('-').map((hex) => Number.parseInt(hex, 16)));
/** C.1.2 non-ASCII space characters: mapped to U+0020 (RFC 4013 section 2.1). */
const NON_ASCII_SPACE = ranges('a0-a0 1680-1680 2000-200b 202f-202f 205f-205f 3000-3000');
/** B.1 commonly mapped to nothing (RFC 4013 section 2.1). */
const MAPPED_TO_NOTHING = ranges('ad-ad 34f-34f 1806-1806 180b-180d 200b-200d 2060-2060 fe00-fe0f feff-feff');
/** C.1.2, C.2.1, C.2.2, C.3, C.4 (but plane-final non-characters), C.5-C.9 merged (RFC 4013 section 2.3). */
const PROHIBITED = ranges(
  '0-1f 7f-a0 340-341 6dd-6dd 70f-70f 1680-1680 180e-180e 2000-200f 2028-202f 205f-2063 206a-206f 2ff0-2ffb ' +
    '3000-3000 d800-f8ff fdd0-fdef feff-feff fff9-fffd 1d173-1d17a e0001-e0001 e0020-e007f f0000-10ffff',
);
/** D.1 characters with bidirectional property R or AL (RFC 4013 section 2.4, RFC 3454 section 6). */
const RAND_AL_CAT = ranges(
  '5be-5be 5c0-5c0 5c3-5c3 5d0-5ea 5f0-5f4 61b-61b 61f-61f 621-63a 640-64a 66d-66f 671-6d5 6dd-6dd 6e5-6e6 ' +
    '6fa-6fe 700-70d 710-710 712-72c 780-7a5 7b1-7b1 200f-200f fb1d-fb1d fb1f-fb28 fb2a-fb36 fb38-fb3c ' +
    'fb3e-fb3e fb40-fb41 fb43-fb44 fb46-fbb1 fbd3-fd3d fd50-fd8f fd92-fdc7 fdf0-fdfc fe70-fe74 fe76-fefc',
);
const UNASSIGNED = /\p{Cn}/u; // Approximates A.1 (Unicode 3.2) with the runtime's newer Unicode tables.
const LETTER = /\p{L}/u; // Approximates D.2 (LCat) as letters not in RandALCat.

const inRanges = (cp: number, ranges: readonly number[]): boolean => {
  for (let i = 0; i + 1 < ranges.length; i += 2) if (cp >= ranges[i]! && cp <= ranges[i + 1]!) return true;
  return false;
};

/**
 * SASLprep (RFC 4013) as PostgreSQL's pg_saslprep applies it to passwords: ASCII passes unchanged; otherwise map,
 * NFKC-normalise, then check prohibited, unassigned and bidi rules; an invalid result falls back to the raw password.
 */
function saslPrep(password: string): string {
  if (Buffer.byteLength(password) === password.length) return password;
  const mapped: number[] = [];
  for (const ch of password) {
    const cp = ch.codePointAt(0) ?? 0;
    if (inRanges(cp, NON_ASCII_SPACE)) mapped.push(0x20);
    else if (!inRanges(cp, MAPPED_TO_NOTHING)) mapped.push(cp);
  }
  if (mapped.length === 0) return password;
  const output = String.fromCodePoint(...mapped).normalize('NFKC');
  const chars = Array.from(output, (ch) => ch.codePointAt(0) ?? 0);
  const prohibited = (cp: number) =>
    inRanges(cp, PROHIBITED) || (cp & 0xfffe) === 0xfffe || UNASSIGNED.test(String.fromCodePoint(cp));
  if (chars.some(prohibited)) return password;
  if (chars.some((cp) => inRanges(cp, RAND_AL_CAT))) {
    const lCat = (cp: number) => !inRanges(cp, RAND_AL_CAT) && LETTER.test(String.fromCodePoint(cp));
    const [first = 0, last = 0] = [chars[0], chars[chars.length - 1]];
    if (chars.some(lCat) || !inRanges(first, RAND_AL_CAT) || !inRanges(last, RAND_AL_CAT)) return password;
  }
  return output;
}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();
const xor = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((byte, i) => byte ^ (b[i] ?? 0)));
const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

/** SaltedPassword := Hi(Normalize(password), salt, i), then ClientKey, StoredKey, ServerKey (RFC 5802 section 3). */
function deriveKeys(password: string, salt: Buffer, iterations: number) {
  const salted = pbkdf2Sync(Buffer.from(saslPrep(password), 'utf8'), salt, iterations, KEY_LENGTH, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}

function checkIterations(iterations: number): void {
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

function base64(value: string, what: string, length?: number): Buffer {
  if (value.length === 0 || !BASE64.test(value)) fail('malformed', `${what} is not valid base64`);
  const bytes = Buffer.from(value, 'base64');
  if (length !== undefined && bytes.length !== length) fail('malformed', `${what} must be ${length} bytes`);
  return bytes;
}

/** Decodes a SCRAM message: UTF-8 (RFC 5802 section 7), no NUL, not empty. */
function decode(data: Buffer, what: string): string {
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
function attribute(part: string | undefined, name: string, what: string, allowEmpty = false): string {
  if (!part?.startsWith(`${name}=`)) fail('malformed', `${what}: expected attribute "${name}=" here`);
  const value = part.slice(2);
  if (!allowEmpty && value.length === 0) fail('malformed', `${what}: empty "${name}=" attribute`);
  return value;
}

function nonce(value: string, what: string): string {
  if (!PRINTABLE.test(value)) fail('malformed', `${what}: nonce has non-printable characters`);
  return value;
}

/** Optional trailing extensions (RFC 5802 section 7 "extensions"): attr-val pairs, which are ignored. */
function extensions(parts: readonly string[], what: string): void {
  for (const part of parts) {
    if (!/^[A-Za-z]=.+$/s.test(part)) fail('malformed', `${what}: invalid attribute "${part}"`);
  }
}

/**
 * Server side of one SCRAM-SHA-256(-PLUS) exchange (RFC 5802 section 5, RFC 7677), as PostgreSQL runs it after
 * AuthenticationSASL: `clientFirst` answers SASLInitialResponse with the server-first-message (send it in
 * AuthenticationSASLContinue), `clientFinal` answers SASLResponse with the server-final-message (AuthenticationSASLFinal).
 * Offer SCRAM-SHA-256-PLUS only when `channelBinding` is given. The SCRAM user name is ignored, as in PostgreSQL.
 * Every method throws only ScramError; any failure ends the exchange.
 */
export class ScramServer {
  readonly #credentials: ScramCredentials;
  readonly #serverNonce: string;
  readonly #binding: ScramChannelBinding | undefined;
  #state: 'initial' | 'first' | 'done' = 'initial';
  #gs2Header = '';
  #nonce = '';
  #authPrefix = '';

  constructor(
    credentials: ScramCredentials,
    options: { nonce?: string; channelBinding?: ScramChannelBinding } = {},
  ) {
    checkIterations(credentials.iterations);
    this.#credentials = credentials;
    this.#serverNonce = nonce(options.nonce ?? randomBytes(18).toString('base64'), 'server nonce');
    this.#binding = options.channelBinding;
  }

  /** Parses client-first-message (RFC 5802 section 7) and returns server-first-message "r=...,s=...,i=...". */
  clientFirst(mechanism: string, data: Buffer): Buffer {
    if (this.#state !== 'initial') fail('invalid-state', 'clientFirst called twice');
    this.#state = 'done';
    const plus = mechanism === SCRAM_SHA_256_PLUS;
    if (mechanism !== SCRAM_SHA_256 && !(plus && this.#binding)) {
      fail('unsupported-mechanism', `mechanism ${JSON.stringify(mechanism)} was not offered`);
    }
    const what = 'client-first-message';
    const parts = decode(data, what).split(',');
    const [flag = '', authzid] = parts;
    if (flag === 'n' || flag === 'y') {
      if (plus) fail('channel-binding', 'SCRAM-SHA-256-PLUS selected without channel binding');
      if (flag === 'y' && this.#binding) {
        fail('channel-binding', 'client thinks the server cannot bind channels (downgrade?)');
      }
    } else if (flag.startsWith('p=')) {
      if (!plus) fail('channel-binding', 'SCRAM-SHA-256 selected but channel binding requested');
      if (flag !== `p=${CBIND_TYPE}`) fail('channel-binding', `unsupported binding ${flag.slice(2)}`);
    } else {
      fail('malformed', `${what}: invalid gs2-cbind-flag`);
    }
    if (authzid !== '') fail('malformed', `${what}: authzid is not supported`);
    const bare = parts.slice(2);
    const user = attribute(bare[0], 'n', what, true);
    if (!/^(?:[^=]|=2C|=3D)*$/.test(user)) fail('malformed', `${what}: invalid saslname`);
    const clientNonce = nonce(attribute(bare[1], 'r', what), what);
    extensions(bare.slice(2), what);
    this.#gs2Header = `${flag},,`;
    this.#nonce = clientNonce + this.#serverNonce;
    const { salt, iterations } = this.#credentials;
    const serverFirst = `r=${this.#nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.#authPrefix = `${bare.join(',')},${serverFirst}`;
    this.#state = 'first';
    return Buffer.from(serverFirst);
  }

  /** Checks client-final-message "c=...,r=...,p=..." (RFC 5802 sections 3, 6, 7); returns server-final "v=...". */
  clientFinal(data: Buffer): Buffer {
    if (this.#state !== 'first') fail('invalid-state', 'clientFinal needs exactly one clientFirst');
    this.#state = 'done';
    const what = 'client-final-message';
    const parts = decode(data, what).split(',');
    if (parts.length < 3) fail('malformed', `${what}: too few attributes`);
    const cbind = base64(attribute(parts[0], 'c', what), `${what} c=`);
    const clientNonce = attribute(parts[1], 'r', what);
    extensions(parts.slice(2, -1), what);
    const proof = base64(attribute(parts[parts.length - 1], 'p', what), `${what} p=`, KEY_LENGTH);
    const bindingData = this.#gs2Header.startsWith('p=') ? this.#binding?.data : undefined;
    const expected = Buffer.concat([Buffer.from(this.#gs2Header), bindingData ?? Buffer.alloc(0)]);
    if (!cbind.equals(expected)) fail('channel-binding', 'channel binding data does not match');
    if (clientNonce !== this.#nonce) fail('nonce-mismatch', `${what}: nonce does not match`);
    const authMessage = `${this.#authPrefix},${parts.slice(0, -1).join(',')}`;
    const { storedKey, serverKey } = this.#credentials;
    const clientKey = xor(proof, hmac(storedKey, authMessage));
    if (!sameBytes(sha256(clientKey), storedKey)) fail('invalid-proof', 'password authentication failed');
    return Buffer.from(`v=${hmac(serverKey, authMessage).toString('base64')}`);
  }
}

/**
 * Client side of one SCRAM-SHA-256(-PLUS) exchange (RFC 5802 section 5, RFC 7677), as libpq runs it:
 * chooseMechanism (AuthenticationSASL list) -> clientFirst (SASLInitialResponse) -> clientFinal (SASLResponse,
 * given AuthenticationSASLContinue) -> verifyServerFinal (AuthenticationSASLFinal). `user` defaults to "" as libpq
 * sends. Every method throws only ScramError; any failure ends the exchange.
 */
export class ScramClient {
  readonly #password: string;
  readonly #nonce: string;
  readonly #user: string;
  readonly #binding: ScramChannelBinding | undefined;
  #gs2Header: string | undefined;
  #state: 'initial' | 'first' | 'final' | 'done' = 'initial';
  #clientFirstBare = '';
  #serverSignature: Buffer = Buffer.alloc(0);

  constructor(
    password: string,
    options: { nonce?: string; channelBinding?: ScramChannelBinding; user?: string } = {},
  ) {
    this.#password = password;
    this.#nonce = nonce(options.nonce ?? randomBytes(18).toString('base64'), 'client nonce');
    this.#user = options.user ?? '';
    this.#binding = options.channelBinding;
  }

  /** RFC 5802 section 6: PLUS when offered and binding data was given, else SCRAM-SHA-256; else ScramError. */
  chooseMechanism(offered: readonly string[]): string {
    if (this.#state !== 'initial') fail('invalid-state', 'mechanism chosen after clientFirst');
    if (this.#binding && offered.includes(SCRAM_SHA_256_PLUS)) {
      this.#gs2Header = `p=${CBIND_TYPE},,`;
      return SCRAM_SHA_256_PLUS;
    }
    if (!offered.includes(SCRAM_SHA_256)) {
      fail('unsupported-mechanism', `no supported SASL mechanism in ${JSON.stringify(offered)}`);
    }
    this.#gs2Header = this.#binding ? 'y,,' : 'n,,';
    return SCRAM_SHA_256;
  }

  /** client-first-message: gs2-header "n=<user>,r=<nonce>" (RFC 5802 section 7). Defaults to SCRAM-SHA-256. */
  clientFirst(): Buffer {
    if (this.#state !== 'initial') fail('invalid-state', 'clientFirst called twice');
    if (this.#gs2Header === undefined) this.chooseMechanism([SCRAM_SHA_256]);
    const gs2Header = this.#gs2Header ?? 'n,,';
    const user = this.#user.replaceAll('=', '=3D').replaceAll(',', '=2C');
    this.#clientFirstBare = `n=${user},r=${this.#nonce}`;
    this.#state = 'first';
    return Buffer.from(gs2Header + this.#clientFirstBare);
  }

  /**
   * Parses server-first-message "r=...,s=...,i=..." (RFC 5802 section 7) and returns client-final-message
   * "c=...,r=...,p=...". Throws ScramError 'malformed', 'nonce-mismatch' or 'iteration-count' (outside 1..10,000,000).
   */
  clientFinal(serverFirst: Buffer): Buffer {
    if (this.#state !== 'first') fail('invalid-state', 'clientFinal needs exactly one clientFirst');
    this.#state = 'done';
    const what = 'server-first-message';
    const text = decode(serverFirst, what);
    const parts = text.split(',');
    const combined = nonce(attribute(parts[0], 'r', what), what);
    if (!combined.startsWith(this.#nonce) || combined.length === this.#nonce.length) {
      fail('nonce-mismatch', `${what}: server nonce does not extend the client nonce`);
    }
    const salt = base64(attribute(parts[1], 's', what), `${what} s=`);
    const iterationText = attribute(parts[2], 'i', what);
    if (!/^[0-9]+$/.test(iterationText)) fail('malformed', `${what}: invalid iteration count`);
    const iterations = Number(iterationText);
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      fail('iteration-count', `${what}: iteration count ${iterationText} is out of range`);
    }
    extensions(parts.slice(3), what);
    const gs2Header = this.#gs2Header ?? 'n,,';
    const bindingData = gs2Header.startsWith('p=') ? this.#binding?.data : undefined;
    const cbind = Buffer.concat([Buffer.from(gs2Header), bindingData ?? Buffer.alloc(0)]).toString('base64');
    const withoutProof = `c=${cbind},r=${combined}`;
    const authMessage = `${this.#clientFirstBare},${text},${withoutProof}`;
    const { clientKey, storedKey, serverKey } = deriveKeys(this.#password, salt, iterations);
    const proof = xor(clientKey, hmac(storedKey, authMessage));
    this.#serverSignature = hmac(serverKey, authMessage);
    this.#state = 'final';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Checks server-final-message "v=..." (RFC 5802 sections 3, 7); throws 'server-error' on "e=...", else mismatch. */
  verifyServerFinal(serverFinal: Buffer): void {
    if (this.#state !== 'final') fail('invalid-state', 'verifyServerFinal needs clientFinal first');
    this.#state = 'done';
    const what = 'server-final-message';
    const parts = decode(serverFinal, what).split(',');
    if (parts[0]?.startsWith('e=')) fail('server-error', `SCRAM server error: ${parts[0].slice(2)}`);
    const signature = base64(attribute(parts[0], 'v', what), `${what} v=`);
    extensions(parts.slice(1), what);
    if (!sameBytes(signature, this.#serverSignature)) {
      fail('invalid-server-signature', 'server signature does not match: wrong server or password');
    }
  }
}

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

/**
 * Response to AuthenticationMD5Password (PostgreSQL docs 55.3.2, 55.7): "md5" + md5hex(md5hex(password + user) + salt),
 * salt being the 4 raw bytes the server sent. Returns the PasswordMessage string; throws nothing.
 */
export function md5PasswordResponse(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password).update(user).digest('hex');
  return `md5${createHash('md5').update(inner).update(salt).digest('hex')}`;
}
