/**
 * A scanner for PostgreSQL's SQL text, following the server's own lexical rules (PostgreSQL docs, 4.1
 * "Lexical Structure", and src/backend/parser/scan.l of PostgreSQL 15): it finds where every string constant,
 * quoted identifier and comment starts and ends, so that code looking for keywords never mistakes text inside
 * a literal or a comment for SQL, nor the other way round. It does not parse; it only tokenises.
 */

/** What a token is. */
export type SqlTokenKind =
  | 'space'
  | 'comment'
  | 'string'
  | 'identifier'
  | 'quoted_identifier'
  | 'parameter'
  | 'number'
  | 'semicolon'
  | 'other';

/**
 * How a string constant was written: `'…'` (standard), `E'…'` (escape), `U&'…'` (unicode), `N'…'` (national),
 * `B'…'` (bit), `X'…'` (hex) or `$tag$…$tag$` (dollar).
 */
export type SqlStringForm = 'standard' | 'escape' | 'unicode' | 'national' | 'bit' | 'hex' | 'dollar';

/** One token: its kind and its extent in the text, as UTF-16 offsets (`end` exclusive). */
export interface SqlToken {
  kind: SqlTokenKind;
  start: number;
  end: number;
  /** For strings: how it was written. */
  form?: SqlStringForm;
  /** True when the text ends inside this literal, quoted identifier or comment. */
  unterminated?: boolean;
}

/** How to read the text; matters only for backslashes in plain `'…'` strings. */
export interface SqlScanOptions {
  /**
   * The session's `standard_conforming_strings` (on by default since PostgreSQL 9.1). When off, a backslash in a
   * plain or national string escapes the next character, as in an `E'…'` string.
   */
  standardConformingStrings: boolean;
}

/**
 * Walks the tokens of a text one at a time without allocating per token (statements may be megabytes): call
 * {@link next} until it returns false and read the current token's fields. Every character belongs to
 * exactly one token. Never throws: text PostgreSQL would refuse (an unterminated literal) still comes back
 * as tokens, the last one `unterminated`. Linear in the length of the text.
 */
export class SqlScanner {
  kind: SqlTokenKind = 'space';
  start = 0;
  end = 0;
  /** For strings: how it was written. */
  form: SqlStringForm | undefined;
  unterminated = false;
  /** Where the next backslash is, Infinity when none (memoised, so strings never rescan the text for one). */
  private backslashAt = -1;

  constructor(
    readonly sql: string,
    private readonly options: SqlScanOptions,
  ) {}

  /** Advances to the next token; false at the end of the text. */
  next(): boolean {
    const { sql } = this;
    const i = this.end;
    if (i >= sql.length) return false;
    this.start = i;
    this.form = undefined;
    this.unterminated = false;
    const ch = sql[i]!;
    const c = sql.charCodeAt(i);
    const next = sql[i + 1];
    if (isSpace(c)) {
      let end = i + 1;
      while (end < sql.length && isSpace(sql.charCodeAt(end))) end++;
      return this.set('space', end);
    }
    if (ch === '-' && next === '-') {
      let end = i + 2;
      while (end < sql.length && sql[end] !== '\n' && sql[end] !== '\r') end++;
      return this.set('comment', end);
    }
    if (ch === '/' && next === '*') return this.blockComment(i);
    if (ch === "'") return this.string(i + 1, 'standard');
    if (next === "'") {
      const form = PREFIXED_FORMS[ch];
      if (form) return this.string(i + 2, form);
    }
    if ((ch === 'U' || ch === 'u') && next === '&') {
      if (sql[i + 2] === "'") return this.string(i + 3, 'unicode');
      if (sql[i + 2] === '"') return this.quotedIdentifier(i + 3);
    }
    if (ch === '"') return this.quotedIdentifier(i + 1);
    if (ch === '$') return this.dollar(i);
    if (isIdentStart(c)) {
      let end = i + 1;
      while (end < sql.length && isIdentCont(sql.charCodeAt(end))) end++;
      return this.set('identifier', end);
    }
    if (isDigit(c) || (ch === '.' && isDigit(sql.charCodeAt(i + 1))))
      return this.set('number', numberEnd(sql, i));
    return this.set(ch === ';' ? 'semicolon' : 'other', i + 1);
  }

  /** The current token, copied. */
  token(): SqlToken {
    const token: SqlToken = { kind: this.kind, start: this.start, end: this.end };
    if (this.form) token.form = this.form;
    if (this.unterminated) token.unterminated = true;
    return token;
  }

  /** A backslash escapes the next character in this string form. */
  backslashes(form: SqlStringForm): boolean {
    if (form === 'escape') return true;
    return (form === 'standard' || form === 'national') && !this.options.standardConformingStrings;
  }

  private set(kind: SqlTokenKind, end: number, unterminated = false): true {
    this.kind = kind;
    this.end = end;
    this.unterminated = unterminated;
    return true;
  }

  /** `/* … *\/`, nesting as PostgreSQL's comments do (unlike the SQL standard's). */
  private blockComment(start: number): true {
    const { sql } = this;
    let depth = 1;
    for (let i = start + 2; i < sql.length - 1; i++) {
      if (sql[i] === '/' && sql[i + 1] === '*') {
        depth++;
        i++;
      } else if (sql[i] === '*' && sql[i + 1] === '/') {
        i++;
        if (--depth === 0) return this.set('comment', i + 1);
      }
    }
    return this.set('comment', sql.length, true);
  }

  private string(from: number, form: SqlStringForm): true {
    this.form = form;
    const end = quotedStringEnd(this.sql, from, form, this.backslashes(form), (i) => {
      if (this.backslashAt < i) {
        const found = this.sql.indexOf('\\', i);
        this.backslashAt = found === -1 ? Number.POSITIVE_INFINITY : found;
      }
      return this.backslashAt;
    });
    return this.set('string', end ?? this.sql.length, end === undefined);
  }

  /** `"…"` or `U&"…"`, `""` standing for one quote. */
  private quotedIdentifier(from: number): true {
    const { sql } = this;
    let i = from;
    for (;;) {
      const quote = sql.indexOf('"', i);
      if (quote === -1) return this.set('quoted_identifier', sql.length, true);
      if (sql[quote + 1] !== '"') return this.set('quoted_identifier', quote + 1);
      i = quote + 2;
    }
  }

  /** `$1` (a parameter), `$tag$…$tag$` (a dollar-quoted string), or a lone `$`. */
  private dollar(start: number): true {
    const { sql } = this;
    if (isDigit(sql.charCodeAt(start + 1))) {
      let end = start + 1;
      while (end < sql.length && isDigit(sql.charCodeAt(end))) end++;
      return this.set('parameter', end);
    }
    const delimiter = dollarDelimiter(sql, start);
    if (delimiter === undefined) return this.set('other', start + 1);
    this.form = 'dollar';
    // The first occurrence of the delimiter closes it: scan.l backs up to the last `$` of a delimiter that does
    // not match, so it never steps over one that does.
    const close = sql.indexOf(delimiter, start + delimiter.length);
    if (close === -1) return this.set('string', sql.length, true);
    return this.set('string', close + delimiter.length);
  }
}

/** Every token of `sql`, in order (for callers that want them all; {@link SqlScanner} allocates nothing). */
export function scanSql(sql: string, options: SqlScanOptions): SqlToken[] {
  const scanner = new SqlScanner(sql, options);
  const tokens: SqlToken[] = [];
  while (scanner.next()) tokens.push(scanner.token());
  return tokens;
}

/**
 * A token's meaning: an identifier lower-cased (as PostgreSQL folds it); a quoted identifier with `""`
 * undoubled; a string's content with its quoting undone (`''`, backslash escapes where they apply, a
 * continued constant's parts joined; unicode escapes of `U&` constants left as written); else the text.
 */
export function tokenValue(sql: string, token: SqlToken, options: SqlScanOptions): string {
  const text = sql.slice(token.start, token.end);
  switch (token.kind) {
    case 'identifier':
      return text.toLowerCase();
    case 'quoted_identifier': {
      const open = text.indexOf('"');
      return text.slice(open + 1, token.unterminated ? undefined : -1).replaceAll('""', '"');
    }
    case 'string': {
      const form = token.form ?? 'standard';
      if (form === 'dollar') {
        const body = dollarBody(sql, token);
        return sql.slice(body.start, body.end);
      }
      const from = sql.indexOf("'", token.start) + 1;
      const backslashes =
        form === 'escape' ||
        (!options.standardConformingStrings && form !== 'unicode' && form !== 'bit' && form !== 'hex');
      return decodeQuotedString(sql, from, token.end, form, backslashes);
    }
    default:
      return text;
  }
}

/** Where a dollar-quoted string's body (between its delimiters) starts and ends. */
export function dollarBody(sql: string, token: SqlToken): { start: number; end: number } {
  const delimiter = dollarDelimiter(sql, token.start) ?? '';
  const start = token.start + delimiter.length;
  return { start, end: token.unterminated ? token.end : Math.max(start, token.end - delimiter.length) };
}

/** Prefix letters of quoted string forms (`E'…'`, `N'…'`, `B'…'`, `X'…'`), in either case. */
const PREFIXED_FORMS: Record<string, SqlStringForm> = {
  E: 'escape',
  e: 'escape',
  N: 'national',
  n: 'national',
  B: 'bit',
  b: 'bit',
  X: 'hex',
  x: 'hex',
};

/** scan.l `space`: space, tab, newline, vertical tab, form feed, carriage return. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
/** scan.l `ident_start`: letters, `_`, and every non-ASCII character. */
function isIdentStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80;
}
/** scan.l `ident_cont`: `ident_start`, digits and `$`. */
function isIdentCont(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === 0x24;
}

/** scan.l `dolqdelim`: `$$` or `$tag$`, the tag an identifier without `$`. */
const DOLLAR_DELIMITER = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z_\u0080-\uffff0-9]*)?\$/y;

function dollarDelimiter(sql: string, at: number): string | undefined {
  DOLLAR_DELIMITER.lastIndex = at;
  return DOLLAR_DELIMITER.exec(sql)?.[0];
}

/**
 * scan.l `quotecontinue` after a closing quote: whitespace holding at least one newline (comments with `--`
 * allowed), then a quote. Two string constants so separated are one constant. (Each repetition takes one
 * character or one comment, so a long run of spaces cannot make the expression backtrack.)
 */
const QUOTE_CONTINUE = /(?:[ \t\f\v]|--[^\n\r]*)*[\n\r](?:[ \t\n\r\f\v]|--[^\n\r]*[\n\r])*'/y;

/** Where a continuation after the closing quote at `quote` ends (just past its opening quote), if there is one. */
function continuation(sql: string, quote: number): number | undefined {
  QUOTE_CONTINUE.lastIndex = quote + 1;
  return QUOTE_CONTINUE.test(sql) ? QUOTE_CONTINUE.lastIndex : undefined;
}

/**
 * The end (past the closing quote) of a quoted string constant whose content starts at `from`, or undefined
 * when the text ends first. `''` is a quote in every form but bit and hex strings; a backslash escapes the
 * next character when `backslashes`. `nextBackslash(i)` gives the first backslash at or after `i`.
 */
function quotedStringEnd(
  sql: string,
  from: number,
  form: SqlStringForm,
  backslashes: boolean,
  nextBackslash: (i: number) => number,
): number | undefined {
  const doubling = form !== 'bit' && form !== 'hex';
  let i = from;
  for (;;) {
    const quote = sql.indexOf("'", i);
    if (quote === -1) return undefined;
    if (backslashes) {
      const backslash = nextBackslash(i);
      if (backslash < quote) {
        if (backslash + 1 >= sql.length) return undefined;
        i = backslash + 2;
        continue;
      }
    }
    if (doubling && sql[quote + 1] === "'") {
      i = quote + 2;
      continue;
    }
    const resumed = continuation(sql, quote);
    if (resumed === undefined) return quote + 1;
    i = resumed;
  }
}

/** The content of a quoted string constant between `from` and `end`, its quoting undone. */
function decodeQuotedString(
  sql: string,
  from: number,
  end: number,
  form: SqlStringForm,
  backslashes: boolean,
): string {
  const doubling = form !== 'bit' && form !== 'hex';
  let value = '';
  let i = from;
  while (i < end) {
    const ch = sql[i]!;
    if (backslashes && ch === '\\' && i + 1 < end) {
      const decoded = backslashEscape(sql, i);
      value += decoded.text;
      i = decoded.end;
    } else if (ch === "'") {
      if (doubling && sql[i + 1] === "'" && i + 1 < end) {
        value += "'";
        i += 2;
        continue;
      }
      const resumed = continuation(sql, i);
      if (resumed === undefined || resumed > end) break;
      i = resumed;
    } else {
      value += ch;
      i++;
    }
  }
  return value;
}

/** One backslash escape of an escape string (PostgreSQL docs, 4.1.2.2): its meaning and where it ends. */
function backslashEscape(sql: string, at: number): { text: string; end: number } {
  const rest = sql.slice(at + 1, at + 10);
  const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  let match = /^[0-7]{1,3}/.exec(rest);
  if (match) return { text: codePoint(Number.parseInt(match[0], 8) & 0xff), end: at + 1 + match[0].length };
  match = /^x([0-9A-Fa-f]{1,2})/.exec(rest);
  if (match) return { text: codePoint(Number.parseInt(match[1]!, 16)), end: at + 1 + match[0].length };
  match = /^u([0-9A-Fa-f]{4})|^U([0-9A-Fa-f]{8})/.exec(rest);
  if (match) {
    return { text: codePoint(Number.parseInt(match[1] ?? match[2]!, 16)), end: at + 1 + match[0].length };
  }
  const ch = sql[at + 1]!;
  return { text: simple[ch] ?? ch, end: at + 2 };
}

function codePoint(value: number): string {
  return value <= 0x10ffff ? String.fromCodePoint(value) : '\ufffd';
}

/** A numeric constant's end: digits, a fraction, an exponent only when digits follow the `e` (scan.l `realfail`). */
function numberEnd(sql: string, start: number): number {
  let i = start;
  while (isDigit(sql.charCodeAt(i))) i++;
  if (sql[i] === '.' && sql[i + 1] !== '.') {
    i++;
    while (isDigit(sql.charCodeAt(i))) i++;
  }
  if (sql[i] === 'e' || sql[i] === 'E') {
    const sign = sql[i + 1] === '+' || sql[i + 1] === '-' ? 1 : 0;
    if (isDigit(sql.charCodeAt(i + 1 + sign))) {
      i += 1 + sign;
      while (isDigit(sql.charCodeAt(i))) i++;
    }
  }
  return i;
}
