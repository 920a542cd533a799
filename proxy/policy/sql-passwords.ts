import { dollarBody, SqlScanner, type SqlScanOptions, tokenValue } from './sql-lexer.js';

/** What a redacted password literal becomes in recorded SQL. */
export const REDACTED_LITERAL = "'[redacted]'";

/** Nesting of string constants (function bodies, DO blocks, EXECUTE texts) searched for role statements. */
const MAX_DEPTH = 4;

/**
 * Replaces role passwords in SQL text by `'[redacted]'` before it is recorded (DESIGN.md promise 2). The text
 * is read with PostgreSQL's own lexical rules (sql-lexer.ts), so every way of writing the literal is found:
 * `'…'` with `''`, `E'…'` with backslash escapes, `U&'…'` (with `UESCAPE`), `$$…$$` and `$tag$…$tag$`,
 * constants continued over a newline, comments of either kind between `PASSWORD` and its value, any case, any
 * statement of a multi-statement Query (PostgreSQL docs, 4.1 "Lexical Structure"; SQL Commands, CREATE ROLE).
 *
 * - In `CREATE`/`ALTER` `ROLE`/`USER`/`GROUP`, whatever follows the option keyword `PASSWORD` is redacted:
 *   the string constant, or, when it is not one constant nor `NULL` (text PostgreSQL refuses, which is
 *   recorded all the same), the rest of the statement.
 * - Elsewhere, a string constant after `PASSWORD` (e.g. `OPTIONS (password '…')` of a user mapping).
 * - Inside dollar-quoted bodies (`DO $$ … $$`, function bodies) the same, in place; any other string constant
 *   whose content holds such a statement (`EXECUTE 'ALTER ROLE r PASSWORD ''…'''`) is redacted whole.
 *
 * A text holding a backslash is read both with standard_conforming_strings on and off, and what either
 * reading finds is redacted, so a session that turned the setting off cannot hide a password behind one.
 * Not found: a password passed as a bind parameter, built at run time (`format('… %L', $1)`), or spelt with
 * escapes inside a nested constant so that the word PASSWORD itself never appears. Linear in the text's length.
 */
export function redactSqlPasswords(sql: string): string {
  return redactSqlPasswordsAndTell(sql).sql;
}

/** SQL with its passwords redacted, and what was taken out. */
export interface RedactedSql {
  sql: string;
  /**
   * The raw text of every token taken out (at least {@link MIN_ECHO} characters long), as PostgreSQL would
   * quote it back in an error (`syntax error at or near "…"`); empty when nothing was redacted.
   */
  removed: string[];
}

/** Tokens shorter than this are not looked for in server messages (they would match ordinary words). */
const MIN_ECHO = 3;

/** {@link redactSqlPasswords}, also telling what it took out (for {@link PasswordEchoes}). */
export function redactSqlPasswordsAndTell(sql: string): RedactedSql {
  if (!PASSWORD.test(sql)) return { sql, removed: [] };
  const readings = sql.includes('\\') ? [true, false] : [true];
  const spans = merge(
    readings.flatMap((standardConformingStrings) => passwordSpans(sql, { standardConformingStrings }, 0)),
  );
  let out = '';
  let at = 0;
  const removed = new Set<string>();
  for (const [start, end] of spans) {
    out += sql.slice(at, start) + REDACTED_LITERAL;
    at = end;
    const text = sql.slice(start, end);
    removed.add(text);
    for (const standardConformingStrings of readings) {
      const scanner = new SqlScanner(text, { standardConformingStrings });
      while (scanner.next()) {
        if (scanner.kind !== 'space' && scanner.kind !== 'comment' && scanner.end - scanner.start >= MIN_ECHO)
          removed.add(text.slice(scanner.start, scanner.end));
      }
    }
  }
  return { sql: out + sql.slice(at), removed: [...removed] };
}

/**
 * What one session's redactions took out, to scrub it from what the server says back: PostgreSQL quotes the
 * token it stopped at in errors (`syntax error at or near ""hunter2""`, `unterminated quoted string at or
 * near "'hunter2"`), so a refused spelling would otherwise reach the record through its error. Keeps the
 * last {@link PasswordEchoes.KEEP} texts.
 */
export class PasswordEchoes {
  static readonly KEEP = 64;
  /** Oldest first. */
  private readonly recent: string[] = [];
  /** The same, longest first: a token inside a longer removed text must not leave the rest of it behind. */
  private removed: string[] = [];

  /** Redacts `sql` (as {@link redactSqlPasswords}) and remembers what it took out. */
  redact(sql: string): string {
    const result = redactSqlPasswordsAndTell(sql);
    if (result.removed.length > 0) {
      this.recent.push(...result.removed);
      this.recent.splice(0, Math.max(0, this.recent.length - PasswordEchoes.KEEP));
      this.removed = [...this.recent].sort((a, b) => b.length - a.length);
    }
    return result.sql;
  }

  /** A copy of `fields` with every remembered text in its string values replaced by `[redacted]`. */
  scrub<T extends object>(fields: T): T {
    if (this.removed.length === 0) return fields;
    const entries = Object.entries(fields).map(([key, value]) => [
      key,
      typeof value === 'string' ? this.scrubText(value) : value,
    ]);
    return Object.fromEntries(entries) as T;
  }

  private scrubText(text: string): string {
    let out = text;
    for (const removed of this.removed)
      if (out.includes(removed)) out = out.replaceAll(removed, '[redacted]');
    return out;
  }
}

const PASSWORD = /password/i;

type Span = [start: number, end: number];

/** Where password literals are in `sql` under one reading. */
function passwordSpans(sql: string, options: SqlScanOptions, depth: number): Span[] {
  if (!PASSWORD.test(sql)) return [];
  const mentions = [...sql.matchAll(/password/gi)].map((match) => match.index);
  let mention = 0;
  const spans: Span[] = [];
  const scanner = new SqlScanner(sql, options);
  let statement = new RoleStatementReader(sql);
  while (scanner.next()) {
    const { kind, start, end } = scanner;
    if (kind === 'space' || kind === 'comment') continue;
    if (kind === 'semicolon') {
      statement.finish(spans);
      statement = new RoleStatementReader(sql);
      continue;
    }
    if (kind === 'string') {
      while (mention < mentions.length && mentions[mention]! < start) mention++;
      if (mention < mentions.length && mentions[mention]! < end)
        spans.push(...nestedSpans(sql, scanner, options, depth));
    }
    statement.take(scanner, spans);
  }
  statement.finish(spans);
  return spans;
}

/**
 * Password literals inside the string constant the scanner is on: in place for a dollar-quoted body (its text
 * is the content as written), else the whole constant when its decoded content holds one.
 */
function nestedSpans(sql: string, scanner: SqlScanner, options: SqlScanOptions, depth: number): Span[] {
  const token = scanner.token();
  if (depth >= MAX_DEPTH) return [[token.start, token.end]];
  if (token.form === 'dollar') {
    const body = dollarBody(sql, token);
    return passwordSpans(sql.slice(body.start, body.end), options, depth + 1).map(
      ([start, end]): Span => [start + body.start, end + body.start],
    );
  }
  const content = tokenValue(sql, token, options);
  return passwordSpans(content, options, depth + 1).length > 0 ? [[token.start, token.end]] : [];
}

/** Words after which `password` in a role statement is a role or database name, not the option keyword. */
const NAME_BEFORE = new Set(['role', 'user', 'group', 'admin', 'to', 'database']);

/**
 * Reads one statement's significant tokens (no spaces, comments or `;`) and finds its password values.
 * In a role statement (`CREATE`/`ALTER` + `ROLE`/`GROUP`/`USER`, not `USER MAPPING`) `PASSWORD` is the
 * unquoted option keyword, not a role or database name (`CREATE ROLE password …`, `IN ROLE a, password`);
 * elsewhere an option name, so a quoted `"password"` counts too.
 */
class RoleStatementReader {
  private count = 0;
  private readonly words: string[] = [];
  private role = false;
  /** The previous significant token: an identifier's folded text (short ones only), `,`, or ''. */
  private previous = '';
  private lastEnd = 0;
  /**
   * `value`: after PASSWORD; `constant`: after its constant (a `U&` one may take `UESCAPE`); `uescape`: after
   * UESCAPE; `rest`: redacting to the end of the statement.
   */
  private mode: 'none' | 'value' | 'constant' | 'unicode' | 'uescape' | 'rest' = 'none';
  private spanStart = 0;
  private spanEnd = 0;

  constructor(private readonly sql: string) {}

  take(token: SqlScanner, spans: Span[]): void {
    const word = this.word(token);
    const index = this.count++;
    if (index < 3) {
      this.words.push(word);
      if (index === 2) this.role = this.isRoleStatement();
    }
    if (this.continueValue(token, word, spans)) {
      this.lastEnd = token.end;
      return;
    }
    if (this.isPasswordOption(token, word)) this.mode = 'value';
    this.previous = token.kind === 'other' && this.sql[token.start] === ',' ? ',' : word;
    this.lastEnd = token.end;
  }

  /** Closes what is open at the end of the statement. */
  finish(spans: Span[]): void {
    if (this.mode === 'rest') spans.push([this.spanStart, this.lastEnd]);
    else if (this.mode !== 'none' && this.mode !== 'value') spans.push([this.spanStart, this.spanEnd]);
    this.mode = 'none';
  }

  /** Handles the token when it continues a password value; true when it did. */
  private continueValue(token: SqlScanner, word: string, spans: Span[]): boolean {
    switch (this.mode) {
      case 'rest':
        return true;
      case 'value':
        if (token.kind === 'string') {
          this.spanStart = token.start;
          this.spanEnd = token.end;
          this.mode = token.form === 'unicode' ? 'unicode' : 'constant';
          return true;
        }
        if (this.role && !(token.kind === 'identifier' && word === 'null')) {
          this.spanStart = token.start;
          this.mode = 'rest';
          return true;
        }
        this.mode = 'none';
        return false;
      case 'unicode':
        if (token.kind === 'identifier' && word === 'uescape') {
          this.mode = 'uescape';
          return true;
        }
        return this.afterConstant(token, spans);
      case 'uescape':
        if (token.kind === 'string') {
          this.spanEnd = token.end;
          this.mode = 'constant';
          return true;
        }
        return this.afterConstant(token, spans);
      case 'constant':
        return this.afterConstant(token, spans);
      default:
        return false;
    }
  }

  /** After a password's constant: another constant in a role statement is an error, and all of it may be secret. */
  private afterConstant(token: SqlScanner, spans: Span[]): boolean {
    if (this.role && token.kind === 'string') {
      this.mode = 'rest';
      return true;
    }
    spans.push([this.spanStart, this.spanEnd]);
    this.mode = 'none';
    return false;
  }

  private isPasswordOption(token: SqlScanner, word: string): boolean {
    if (word !== 'password') return false;
    if (!this.role) return token.kind === 'identifier' || token.kind === 'quoted_identifier';
    return token.kind === 'identifier' && this.previous !== ',' && !NAME_BEFORE.has(this.previous);
  }

  private isRoleStatement(): boolean {
    const [verb, object, third] = this.words;
    if (verb !== 'create' && verb !== 'alter') return false;
    if (object === 'role' || object === 'group') return true;
    return object === 'user' && third !== 'mapping';
  }

  /** A short identifier's folded text, or a short quoted identifier's name; '' for anything else. */
  private word(token: SqlScanner): string {
    if (token.end - token.start > 24) return '';
    if (token.kind === 'identifier') return this.sql.slice(token.start, token.end).toLowerCase();
    if (token.kind === 'quoted_identifier') {
      return tokenValue(this.sql, token.token(), { standardConformingStrings: true });
    }
    return '';
  }
}

/** Sorted, overlapping or touching spans joined. */
function merge(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([span[0], span[1]]);
  }
  return merged;
}
