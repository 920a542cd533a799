/**
 * Secrets given a name: `password=…` in a `.env` file or a query string, `export API_TOKEN=…` in a shell,
 * `"secret": "…"` in JSON (also inside a JSON string, `\"secret\": \"…\"`), `api_key: …` in YAML, `apiKey = '…'`
 * in code, `Authorization: Bearer …` in a header. The value is reported only when it has the randomness of a
 * real credential (Shannon entropy, {@link looksRandom}) and is not a placeholder or a reference to a secret
 * kept elsewhere (`changeme`, `${DB_PASSWORD}`, `process.env.TOKEN`, `<your-key>`).
 */
import type { TextRange } from '../masking/types.js';
import { isPlaceholder, isTokenCharAt, shannonEntropy } from './kit.js';
import { type ScanDetector, scanDetector } from './scan.js';

/** Words that make a name a secret's name, as the whole name's last word or its ending (`PGPASSWORD`). */
const SECRET_ENDINGS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'secretkey',
  'signingkey',
  'encryptionkey',
  'masterkey',
  'sessionkey',
  'credential',
  'credentials',
];
/** Words that make a name a secret's name only as a whole word. */
const SECRET_WORDS = new Set(['pass', 'pwd', 'auth', 'authorization']);
/** Names that are only `auth`, whose values must also look like a credential ({@link isAuthCredential}). */
const AUTH_ONLY = /^[^A-Za-z0-9]*auth[^A-Za-z0-9]*$/i;
/** First words of two-word names that end in `key` (`api_key`, `X-Api-Key`, `APP_KEY`). */
const KEY_QUALIFIERS = new Set([
  'api',
  'access',
  'private',
  'secret',
  'signing',
  'encryption',
  'master',
  'session',
  'app',
]);
/** Last words that make a name about a secret rather than the secret itself (`token_type`, `secret_name`). */
const NOT_A_SECRET_TAIL = new Set(
  (
    'count counts type types id ids name names length len size limit limits url uri urls path paths file files ' +
    'filename dir endpoint expiry expires expiration expired ttl lifetime prefix suffix hint hints format version ' +
    'usage policy required enabled enable field fields label header headers mode method methods provider scope ' +
    'scopes index budget max min env var variable location ref reference arn kind state status rotation created ' +
    'updated at manager store vault source'
  ).split(' '),
);
/** Where a name may be, found case-insensitively; the whole name is then read around it. */
const NAME_CORE =
  /pass(?:word|wd|phrase)?|pwd|secret|token|auth|credential|(?:api|access|private|signing|encryption|master|session|app)[-_]?key/gi;
const NAME_CHAR = /[A-Za-z0-9_.-]/;
/** Characters that end a value written without quotes. */
const UNQUOTED_END = new Set([...' \t\r\n"\'`\\,;&()[]{}<>'].map((c) => c.charCodeAt(0)));
const QUOTES = new Set(['"', "'", '`']);
const MAX_VALUE = 1000;

/** The prefilter keywords: every spelling {@link NAME_CORE} can match, lower-case. */
const KEYWORDS = [
  'pass',
  'pwd',
  'secret',
  'token',
  'auth',
  'credential',
  ...['api', 'access', 'private', 'signing', 'encryption', 'master', 'session', 'app'].flatMap((q) => [
    `${q}key`,
    `${q}_key`,
    `${q}-key`,
  ]),
];

/** `name` split into lower-case words at `_`, `-`, `.` and camelCase humps (`X-Api-Key` → x, api, key). */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** True when `name` names a secret (`DB_PASSWORD`, `apiKey`, `client_secret`) and not something about one. */
export function isSecretName(name: string): boolean {
  const w = words(name);
  const last = w[w.length - 1];
  if (last === undefined || NOT_A_SECRET_TAIL.has(last)) return false;
  if (last === 'key') return w.length > 1 && KEY_QUALIFIERS.has(w[w.length - 2]!);
  return w.some((word) => SECRET_WORDS.has(word) || SECRET_ENDINGS.some((e) => word.endsWith(e)));
}

/** Where the value written after a name at `from` is, or `null` when no assignment follows the name. */
function valueAfter(text: string, from: number): (TextRange & { quoted: boolean }) | null {
  let p = from;
  // The name's closing quote: `"name":`, `'name' =>`, and escaped inside a JSON string, `\"name\":`.
  let q = p;
  while (text[q] === '\\') q++;
  if (QUOTES.has(text[q]!)) p = q + 1;
  while (text[p] === ' ' || text[p] === '\t') p++;
  if (text.startsWith('=>', p) || text.startsWith(':=', p) || text.startsWith('==', p)) p += 2;
  else if ((text[p] === '=' || text[p] === ':') && text[p + 1] !== ':') p += 1;
  else return null;
  while (text[p] === ' ' || text[p] === '\t') p++;
  let k = p;
  while (text[k] === '\\') k++;
  const quote = text[k];
  if (quote !== undefined && QUOTES.has(quote)) {
    const delimiter = text.slice(p, k + 1);
    const start = k + 1;
    let close = text.indexOf(delimiter, start);
    while (close !== -1 && text[close - 1] === '\\' && close - start < MAX_VALUE)
      close = text.indexOf(delimiter, close + 1);
    if (close === -1 || close - start > MAX_VALUE) return null;
    return { start, end: close, quoted: true };
  }
  let end = p;
  while (end < text.length && end - p <= MAX_VALUE && !UNQUOTED_END.has(text.charCodeAt(end))) end++;
  // A call or an index (`token = readToken(path)`, `key = keys[0]`) is code, not a value.
  if (text[end] === '(' || text[end] === '[') return null;
  return { start: p, end, quoted: false };
}

/** An HTTP authentication scheme before the credential (RFC 9110 §11.4): only the credential is secret. */
const AUTH_SCHEME = /^(?:Bearer|Basic|Token|Bot|Digest|Negotiate)\s+/i;
const CREDENTIAL_CHARS = /^[A-Za-z0-9._~+/=:-]+/;

/** `range` narrowed to the credential after an authentication scheme (`Bearer abc` → `abc`). */
function afterScheme(text: string, range: TextRange): TextRange {
  const head = text.slice(range.start, range.start + 30);
  const scheme = AUTH_SCHEME.exec(head);
  if (!scheme) return range;
  const start = range.start + scheme[0].length;
  const credential = CREDENTIAL_CHARS.exec(text.slice(start, start + MAX_VALUE));
  return credential ? { start, end: start + credential[0].length } : { start, end: start };
}

/** True when `value`, written after a secret's name, is a credential and not a placeholder or a reference. */
export function isSecretValue(value: string, quoted: boolean): boolean {
  if (value.length < 8 || value.length > MAX_VALUE) return false;
  if (isPlaceholder(value)) return false;
  // A variable or a template: `$TOKEN`, `${TOKEN}`, `%(token)s`, `%TOKEN%`, `{{ secrets.TOKEN }}`.
  if (/^(?:\$\{?[A-Za-z_]\w*\}?|%\(\w+\)s|%\w+%|\{\{.*\}\})$/.test(value)) return false;
  if (value.includes('://') || /^(?:\.{0,2}\/|~\/|[A-Za-z]:\\)/.test(value)) return false;
  if (!quoted) {
    // Code, not a literal: `config.token`, `process.env.API_KEY`, `API_KEY` (a constant or variable), a type
    // (`token: SqlToken`) or a name (`credential = fingerprints …`): words without a digit or a symbol.
    if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value)) return false;
    if (/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.test(value)) return false;
    if (/^[A-Za-z_$-]+$/.test(value)) return false;
  } else if ((value.match(/ /g)?.length ?? 0) >= 2) {
    return false; // prose, not a credential
  }
  // One lower-case word (`'authorization'`, `"development"`); a passphrase of several is longer.
  if (/^[a-z]+$/.test(value) && value.length < 16) return false;
  return shannonEntropy(value) >= 3;
}

/**
 * True when `value`, written after the bare name `auth`, is a credential: `auth` also names methods (`auth:
 * 'scram-sha-256'`), so only base64 (Docker's `"auth": "dXNlcjpwYXNz"`) or `user:password` counts.
 */
function isAuthCredential(value: string): boolean {
  return /^[A-Za-z0-9+/]{12,}={0,2}$/.test(value) || /^[^\s:]+:[^\s:]{8,}$/.test(value);
}

/**
 * Values assigned to a secret's name in configuration files, environment variables, shell, JSON, YAML, code
 * and HTTP headers, that have the entropy of a real credential: `password=changeme` is not reported, a
 * random 32-character value is. Only the value is the range, never the name.
 */
export const assignedSecret: ScanDetector = scanDetector({
  id: 'secret.assignment',
  category: 'secret',
  description: 'Secret assigned to a name (password=…, "api_key": "…", export TOKEN=…), by entropy',
  keywords: KEYWORDS,
  *findIn(scan) {
    const { text } = scan;
    const positions = scan.positionsOf(KEYWORDS) ?? Array.from(text.matchAll(NAME_CORE), (m) => m.index);
    let after = 0;
    for (const at of positions) {
      if (at < after) continue;
      let start = at;
      while (isTokenCharAt(text, start - 1, NAME_CHAR)) start--;
      let end = at;
      while (end < text.length && NAME_CHAR.test(text[end]!)) end++;
      while (end > start && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
      after = end;
      if (!isSecretName(text.slice(start, end))) continue;
      const found = valueAfter(text, end);
      if (!found) continue;
      const value = afterScheme(text, found);
      const secret = text.slice(value.start, value.end);
      if (!isSecretValue(secret, found.quoted)) continue;
      if (AUTH_ONLY.test(text.slice(start, end)) && !isAuthCredential(secret)) continue;
      after = value.end;
      yield { start: value.start, end: value.end };
    }
  },
});
