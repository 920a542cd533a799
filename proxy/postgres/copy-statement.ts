import { SqlScanner, type SqlTokenKind, tokenValue } from '../policy/sql-lexer.js';

/** How a COPY … TO STDOUT writes its rows (PostgreSQL docs, SQL Commands, COPY: "File Formats"). */
export interface CopyOptions {
  format: 'text' | 'csv' | 'binary';
  /** One character: tab in text, comma in CSV. */
  delimiter: string;
  /** How NULL is written: `\N` in text, an unquoted empty string in CSV. */
  null: string;
  /** CSV only: the quoting and escape characters (both `"` by default). */
  quote: string;
  escape: string;
  /** CSV and text (PostgreSQL 15+): the first row holds the column names. */
  header: boolean;
}

/** A COPY … TO STDOUT: a statement that returns its columns when described, and how its rows are written. */
export interface CopyOut {
  /** `SELECT <columns> FROM <table>`, or the COPY's own query: described (never run) to learn the columns. */
  source: string;
  options: CopyOptions;
}

interface Token {
  kind: SqlTokenKind;
  start: number;
  end: number;
  /** Identifiers lower-cased, strings decoded, else the text. */
  value: string;
}

const SCAN = { standardConformingStrings: true };

/**
 * The `index`-th COPY … TO STDOUT of `sql` (a Query may hold several statements; each sends its own
 * CopyOutResponse), read with PostgreSQL's lexical rules (sql-lexer.ts) and the grammar of COPY, both the
 * current option list `(FORMAT csv, HEADER, …)` and the older `CSV HEADER DELIMITER ','` forms (PostgreSQL
 * docs, SQL Commands, COPY, and "Compatibility"). Undefined when it is not found or not understood.
 */
export function copyOutStatement(sql: string, index: number): CopyOut | undefined {
  const statements: Token[][] = [[]];
  const scanner = new SqlScanner(sql, SCAN);
  while (scanner.next()) {
    if (scanner.kind === 'space' || scanner.kind === 'comment') continue;
    if (scanner.kind === 'semicolon') {
      statements.push([]);
      continue;
    }
    const token = scanner.token();
    statements.at(-1)!.push({ ...token, value: tokenValue(sql, token, SCAN) });
  }
  const copies = statements.filter(
    (tokens) =>
      tokens[0]?.value === 'copy' &&
      tokens.some((t, i) => t.value === 'to' && tokens[i + 1]?.value === 'stdout'),
  );
  const tokens = copies[index];
  return tokens ? parseCopy(sql, tokens) : undefined;
}

function parseCopy(sql: string, tokens: Token[]): CopyOut | undefined {
  let i = 1;
  let binary = false;
  if (tokens[i]?.value === 'binary') {
    binary = true;
    i++;
  }
  let source: string;
  if (isParen(tokens[i])) {
    const close = matchingParen(tokens, i);
    if (close === undefined) return undefined;
    source = sql.slice(tokens[i]!.end, tokens[close]!.start);
    i = close + 1;
  } else {
    const nameStart = i;
    while (
      (tokens[i]?.kind === 'identifier' || tokens[i]?.kind === 'quoted_identifier') &&
      (i === nameStart || tokens[i - 1]?.value === '.')
    ) {
      i++;
      if (tokens[i]?.value === '.') i++;
    }
    if (i === nameStart) return undefined;
    const name = sql.slice(tokens[nameStart]!.start, tokens[i - 1]!.end);
    let columns = '*';
    if (isParen(tokens[i])) {
      const close = matchingParen(tokens, i);
      if (close === undefined) return undefined;
      columns = sql.slice(tokens[i]!.end, tokens[close]!.start);
      i = close + 1;
    }
    source = `SELECT ${columns} FROM ${name}`;
  }
  if (tokens[i]?.value === 'with' && tokens[i + 1]?.value === 'oids') i += 2;
  if (tokens[i]?.value !== 'to' || tokens[i + 1]?.value !== 'stdout') return undefined;
  i += 2;
  const options = copyOptions(tokens.slice(i), binary);
  return options ? { source, options } : undefined;
}

/** Options after `TO STDOUT`, in either syntax; undefined for what cannot be read. */
function copyOptions(tokens: Token[], binary: boolean): CopyOptions | undefined {
  const set: Partial<CopyOptions> & { format?: CopyOptions['format'] } = binary ? { format: 'binary' } : {};
  let i = 0;
  const word = () => tokens[i]?.value;
  // `USING DELIMITERS 'x'` (the oldest form), then an optional WITH.
  if (word() === 'using' || word() === 'delimiters') {
    if (word() === 'using') i++;
    if (word() !== 'delimiters' || tokens[i + 1]?.kind !== 'string') return undefined;
    set.delimiter = tokens[i + 1]!.value;
    i += 2;
  }
  if (word() === 'with') i++;
  if (isParen(tokens[i])) {
    const close = matchingParen(tokens, i);
    if (close === undefined) return undefined;
    for (const option of splitTopLevel(tokens.slice(i + 1, close))) {
      const name = option[0]?.value;
      const value = option[1]?.value;
      if (name === undefined) continue;
      if (!applyOption(set, name, option.length > 1 ? value : undefined)) return undefined;
    }
    i = close + 1;
  } else {
    while (i < tokens.length && word() !== 'where') {
      const name = word()!;
      i++;
      if (name === 'binary' || name === 'csv' || name === 'freeze') {
        if (name !== 'freeze') set.format = name;
        continue;
      }
      if (name === 'header') {
        set.header = true;
        continue;
      }
      if (name === 'force') {
        // FORCE QUOTE {* | col, …}, FORCE NOT NULL col, …, FORCE NULL col, …: no effect on reading rows.
        if (word() === 'not') i++;
        i++;
        if (word() === '*') i++;
        else for (i++; word() === ','; i += 2);
        continue;
      }
      if (word() === 'as') i++;
      if (tokens[i]?.kind !== 'string') return undefined;
      if (!applyOption(set, name, tokens[i]!.value)) return undefined;
      i++;
    }
  }
  const format = set.format ?? 'text';
  const csv = format === 'csv';
  const quote = set.quote ?? '"';
  const options: CopyOptions = {
    format,
    delimiter: set.delimiter ?? (csv ? ',' : '\t'),
    null: set.null ?? (csv ? '' : '\\N'),
    quote,
    escape: set.escape ?? quote,
    header: set.header ?? false,
  };
  const single = [options.delimiter, options.quote, options.escape];
  return single.every((c) => Buffer.byteLength(c) === 1) ? options : undefined;
}

/** Applies one option; false for a value that cannot be read (so the COPY is not understood). */
function applyOption(set: Partial<CopyOptions>, name: string, value: string | undefined): boolean {
  switch (name) {
    case 'format':
      if (value !== 'text' && value !== 'csv' && value !== 'binary') return false;
      set.format = value;
      return true;
    case 'header':
      set.header = value === undefined || ['true', 'on', '1', 'match'].includes(value.toLowerCase());
      return true;
    case 'delimiter':
    case 'null':
    case 'quote':
    case 'escape':
      if (value === undefined) return false;
      set[name] = value;
      return true;
    default:
      // FREEZE, FORCE_QUOTE, FORCE_NOT_NULL, FORCE_NULL, ENCODING, ON_ERROR, …: no effect on reading rows.
      return true;
  }
}

function isParen(token: Token | undefined): boolean {
  return token?.kind === 'other' && token.value === '(';
}

function matchingParen(tokens: Token[], open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== 'other') continue;
    if (token.value === '(') depth++;
    else if (token.value === ')' && --depth === 0) return i;
  }
  return undefined;
}

function splitTopLevel(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'other' && token.value === '(') depth++;
    if (token.kind === 'other' && token.value === ')') depth--;
    if (depth === 0 && token.kind === 'other' && token.value === ',') parts.push([]);
    else parts.at(-1)!.push(token);
  }
  return parts;
}
