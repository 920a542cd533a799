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
 * Copies HTTP headers with every credential header replaced by its fingerprint; multi-valued headers are
 * joined with ", ". Header names are lower-case, as Node delivers them.
 */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    out[name] = CREDENTIAL_HEADERS.has(name) ? redactValue(name, raw) : value;
  }
  return out;
}

function redactValue(name: string, raw: string | string[]): string {
  const values = Array.isArray(raw) ? raw : [raw];
  if (name === 'cookie' || name === 'set-cookie') return values.map(() => `[redacted cookie]`).join(', ');
  return values.map(fingerprintCredential).join(', ');
}

/** The fingerprint of whichever credential a request carries (x-api-key first, then authorization), or null. */
export function requestCredential(headers: Record<string, string | string[] | undefined>): string | null {
  const raw = headers['x-api-key'] ?? headers.authorization;
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value ? fingerprintCredential(value) : null;
}
