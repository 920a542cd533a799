import { hash } from 'node:crypto';

/**
 * A header or query parameter name whose value is a credential (lower-cased first): a word of it (split at
 * `-`, `_`, `.`) starting with `auth`, or the name or a word ending with `token`, `key`, `secret`,
 * `signature`, `password`, `passwd`, `pwd`, `cookie` or `credential(s)`, or the parameter `sig` (Azure SAS).
 * So `x-api-key`, `authorization`, `x-auth-token`, `x-goog-api-key`, `x-amz-security-token`,
 * `x-hub-signature-256`, `client_secret`, `apiKey`, `access_token`; but not
 * `anthropic-ratelimit-tokens-remaining`, `keep-alive` or `x-claude-code-session-id`.
 */
const CREDENTIAL_NAME =
  /(?:^|[-_.])auth|(?:token|key|secrets?|signature|password|passwd|pwd|cookie|credentials?)(?:$|[-_.])|^sig$/;

/** True when a header or query parameter called `name` carries a credential (see the pattern above). */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name.toLowerCase());
}

/**
 * A stable, non-reversible fingerprint of a credential so sessions can be attributed to a key without
 * storing it: a recognisable prefix, the last 4 characters and the first 12 hex digits of its SHA-256,
 * e.g. `sk-ant-api03-…Q9xA #3f2a91c04b7e`, or `Bearer sk-ant-oat01-…Zz09 #…` for a bearer token.
 * Short secrets (under 16 characters) and Basic credentials (base64 of `user:password`, whose last
 * characters encode the password's) show no characters at all: `Basic … #3f2a91c04b7e`.
 */
export function fingerprintCredential(value: string): string {
  const digest = hash('sha256', value, 'hex').slice(0, 12);
  const scheme = /^(Bearer|Basic|Token)\s+/i.exec(value);
  const secret = scheme ? value.slice(scheme[0].length) : value;
  const prefix = /^(sk-ant-[a-z]+\d*-|sk-ant-|sk-)/.exec(secret)?.[0] ?? '';
  const basic = scheme?.[1]?.toLowerCase() === 'basic';
  const shown = secret.length >= 16 && !basic ? `${prefix}…${secret.slice(-4)}` : '…';
  return `${scheme ? `${scheme[1]} ` : ''}${shown} #${digest}`;
}

/**
 * The fingerprints ({@link fingerprintCredential}) of the last credentials seen, at most `capacity` (default
 * 64), so that a request carrying a key seen before is not hashed again: a proxy sees the same few keys over
 * and over, and SHA-256 was most of redacting a request's headers on the request's path (37 µs, now 12, on a
 * 2-vCPU VM). The credentials are held in this process's memory only, until newer ones push them out (at
 * most 64 header values, each within Node's header size limit); nothing of them is written anywhere.
 */
export class CredentialFingerprints {
  private readonly known = new Map<string, string>();
  /** {@link isCredentialName}'s answers by header name: a client sends the same few dozen names each time. */
  private readonly names = new Map<string, boolean>();

  constructor(private readonly capacity = 64) {}

  /** How many credentials are remembered (never more than the capacity). */
  get size(): number {
    return this.known.size;
  }

  /** The fingerprint of `value`, from memory when it was seen recently. */
  of(value: string): string {
    let fingerprint = this.known.get(value);
    if (fingerprint === undefined) {
      fingerprint = fingerprintCredential(value);
      if (this.known.size >= this.capacity) this.known.delete(this.known.keys().next().value!);
      this.known.set(value, fingerprint);
    }
    return fingerprint;
  }

  /** {@link isCredentialName}, remembered for up to 256 names (the first ones seen). */
  isCredential(name: string): boolean {
    let verdict = this.names.get(name);
    if (verdict === undefined) {
      verdict = isCredentialName(name);
      if (this.names.size < 256) this.names.set(name, verdict);
    }
    return verdict;
  }
}

/**
 * Copies HTTP headers with every credential header ({@link isCredentialName}) replaced by its fingerprint
 * (cookies by `[redacted cookie]`); multi-valued headers are joined with ", ". Header names are lower-case,
 * as Node delivers them. `fingerprints` remembers credentials seen before (without it, each is hashed).
 */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
  fingerprints?: CredentialFingerprints,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    const credential = fingerprints ? fingerprints.isCredential(name) : isCredentialName(name);
    out[name] = credential ? redactValue(name, raw, fingerprints) : value;
  }
  return out;
}

function redactValue(name: string, raw: string | string[], fingerprints?: CredentialFingerprints): string {
  const values = Array.isArray(raw) ? raw : [raw];
  if (name.endsWith('cookie')) return values.map(() => `[redacted cookie]`).join(', ');
  return values
    .map((value) => (fingerprints ? fingerprints.of(value) : fingerprintCredential(value)))
    .join(', ');
}

/**
 * The fingerprint of whichever credential a request carries (x-api-key first, then authorization), or null.
 * `fingerprints` remembers credentials seen before.
 */
export function requestCredential(
  headers: Record<string, string | string[] | undefined>,
  fingerprints?: CredentialFingerprints,
): string | null {
  const raw = headers['x-api-key'] ?? headers.authorization;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return null;
  return fingerprints ? fingerprints.of(value) : fingerprintCredential(value);
}

/**
 * A request target (path and query) with the value of every credential query parameter
 * ({@link isCredentialName}, e.g. `api_key`, `key`, `access_token`, `X-Amz-Signature`) replaced by
 * `redacted:` and the first 12 hex digits of its SHA-256, so equal values still correlate. Everything else,
 * malformed percent-escapes included, is kept byte for byte (WHATWG URL, application/x-www-form-urlencoded
 * parsing: `&`-separated `name=value` pairs).
 */
export function redactQuery(target: string): string {
  const mark = target.indexOf('?');
  if (mark === -1) return target;
  let changed = false;
  const pairs = target
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals === -1 || !isCredentialName(decodeName(pair.slice(0, equals)))) return pair;
      changed = true;
      return `${pair.slice(0, equals + 1)}redacted:${hash('sha256', pair.slice(equals + 1), 'hex').slice(0, 12)}`;
    });
  return changed ? `${target.slice(0, mark + 1)}${pairs.join('&')}` : target;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
