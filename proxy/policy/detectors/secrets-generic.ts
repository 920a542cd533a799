/**
 * Secrets recognised by their structure rather than by a vendor: JSON Web Tokens (RFC 7519), PEM and OpenSSH
 * private keys (RFC 7468, OpenSSH PROTOCOL.key, RFC 4880 armor), and the password part of connection URLs
 * (RFC 3986 userinfo, `scheme://user:password@host`).
 */
import type { Detector, TextRange } from '../masking/types.js';
import { decodeBase64Url } from './checksums.js';
import { isStandIn, regexDetector } from './kit.js';

/** True when `segment` is base64url of a JSON object with a string `alg` member: a JOSE header (RFC 7515 §4). */
function isJoseHeader(segment: string): boolean {
  const bytes = decodeBase64Url(segment);
  if (!bytes) return false;
  try {
    const header: unknown = JSON.parse(bytes.toString('utf8'));
    return (
      typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

/**
 * JSON Web Tokens (RFC 7519): three base64url parts separated by dots (JWS compact serialization, RFC 7515
 * §7.1) or five (JWE, RFC 7516 §7.1), whose first part decodes to a JSON header naming its `alg`. The whole
 * token is the value.
 */
export const jwt = regexDetector({
  id: 'secret.jwt',
  category: 'secret',
  description: 'JSON Web Token (eyJ….eyJ….…)',
  keywords: ['eyj'],
  pattern: /eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){2}(?:\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)?/g,
  startsAt: [0],
  accept: (v) => {
    const parts = v.split('.');
    if (!isJoseHeader(parts[0]!)) return false;
    // A JWS needs a payload or a signature; a JWE (five parts) its ciphertext.
    return parts.length === 5 ? parts[3]!.length > 0 : parts[1]!.length + parts[2]!.length >= 8;
  },
});

/** What the body of a PEM block can hold, also when its line breaks are written as `\n` escapes. */
const PEM_BODY = /^[A-Za-z0-9+/=\s\\:,.-]*/;

/**
 * The PEM block that starts with `-----BEGIN` at `start`: up to the end of its `-----END …-----` line, or, when
 * the END line is missing (a truncated text), over what can be the block's body. `null` when there is no body.
 */
export function pemBlockAt(text: string, start: number): TextRange | null {
  const headerEnd = text.indexOf('-----', start + 10);
  if (headerEnd === -1 || headerEnd - start > 80) return null;
  const bodyStart = headerEnd + 5;
  const endLine = text.indexOf('-----END ', bodyStart);
  if (endLine !== -1 && endLine - bodyStart < 64 * 1024) {
    const close = text.indexOf('-----', endLine + 9);
    if (close !== -1 && close - endLine < 80) return { start, end: close + 5 };
  }
  const body = PEM_BODY.exec(text.slice(bodyStart, bodyStart + 64 * 1024))![0].replace(
    /(?:\\[nr]|[\s\\])+$/,
    '',
  );
  return body.length >= 16 ? { start, end: bodyStart + body.length } : null;
}

/** The BEGIN line of a private key: PKCS #8 (plain or encrypted), PKCS #1 RSA, SEC 1 EC, DSA, OpenSSH, PGP. */
const PRIVATE_KEY_BEGIN = /-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----/g;

/**
 * Private keys in PEM form (RFC 7468 `PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`; the legacy `RSA`/`EC`/`DSA
 * PRIVATE KEY`), OpenSSH's own format (`OPENSSH PRIVATE KEY`, PROTOCOL.key) and OpenPGP armor (`PGP PRIVATE KEY
 * BLOCK`, RFC 4880 §6.2): the whole block from BEGIN to the end of its END line, with real line breaks or `\n`
 * escapes; when the END line is missing, as far as the body goes.
 */
export const privateKey: Detector = {
  id: 'secret.private_key',
  category: 'secret',
  description: 'Private key block (-----BEGIN … PRIVATE KEY-----)',
  keywords: ['private key'],
  *find(text) {
    let after = 0;
    for (const m of text.matchAll(PRIVATE_KEY_BEGIN)) {
      if (m.index < after) continue;
      const range = pemBlockAt(text, m.index);
      if (!range) continue;
      after = range.end;
      yield range;
    }
  },
};

/** Characters that end a URL's authority (RFC 3986 §3.2) or the URL itself in running text. */
const AUTHORITY_END = new Set([...'/?#\\"\'`<>()[]{} \t\r\n'].map((c) => c.charCodeAt(0)));
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;

/**
 * The password in a URL's userinfo (RFC 3986 §3.2.1, `scheme://user:password@host`): connection URLs of
 * PostgreSQL (`postgres://`, `postgresql://`), MySQL, MongoDB (`mongodb://`, `mongodb+srv://`), Redis
 * (`redis://`, `rediss://`), AMQP (`amqp://`, `amqps://`) and any other scheme (an `http://user:pass@proxy`
 * too). Only the password is the value; stand-ins (`password`, `${DB_PASSWORD}`, `****`) are left alone, but
 * weak real passwords (`postgres://app:postgres@…`) are reported.
 */
export const urlPassword: Detector = {
  id: 'secret.url_password',
  category: 'secret',
  description: 'Password in a connection URL (postgres://user:password@host, …)',
  keywords: ['://'],
  *find(text) {
    for (let at = text.indexOf('://'); at !== -1; at = text.indexOf('://', at + 3)) {
      let scheme = at;
      while (scheme > 0 && SCHEME_CHAR.test(text[scheme - 1]!)) scheme--;
      if (scheme === at || !/[A-Za-z]/.test(text[scheme]!)) continue;
      const authorityStart = at + 3;
      let end = authorityStart;
      while (end < text.length && !AUTHORITY_END.has(text.charCodeAt(end))) end++;
      const authority = text.slice(authorityStart, end);
      const atSign = authority.lastIndexOf('@');
      const colon = authority.indexOf(':');
      if (atSign <= 0 || colon === -1 || colon >= atSign - 1) continue;
      const password = authority.slice(colon + 1, atSign);
      if (isStandIn(password) || /^\$\w+$/.test(password)) continue;
      yield { start: authorityStart + colon + 1, end: authorityStart + atSign };
    }
  },
};
