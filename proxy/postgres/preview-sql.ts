/**
 * The SQL the masking preview runs on a connection's upstream (DESIGN.md, "Masking": "on live query results
 * of a connection (run read-only, shown side by side, never stored)"): a table's first rows, or a SELECT the
 * user typed, always wrapped so that at most {@link PREVIEW_ROWS} rows come back. What runs it (read-only
 * transaction, statement timeout, one statement per Parse) is in preview-query.ts.
 */
import { SqlScanner } from '../policy/sql-lexer.js';

/** Rows a preview shows at most. */
export const PREVIEW_ROWS = 20;

/** The longest SELECT a preview accepts, in characters. */
export const MAX_PREVIEW_SQL = 100_000;

/** A table to preview: its name, and its schema when given (else the search path finds it). */
export interface PreviewTable {
  schema?: string;
  name: string;
}

/** A preview request that cannot run: `message` says why, for the person who typed it. */
export class PreviewSqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreviewSqlError';
  }
}

/**
 * An identifier quoted as PostgreSQL requires (PostgreSQL docs, 4.1.1 "Identifiers and Key Words": a
 * delimited identifier is any text in double quotes, a double quote written twice).
 * @throws PreviewSqlError for an empty name, one holding a NUL character, or one over 63 bytes (NAMEDATALEN)
 */
export function quoteIdentifier(name: string): string {
  if (name.length === 0) throw new PreviewSqlError('a table or schema name must not be empty');
  if (name.includes('\0')) throw new PreviewSqlError('a table or schema name must not hold a NUL character');
  if (Buffer.byteLength(name, 'utf8') > 63)
    throw new PreviewSqlError(`"${name.slice(0, 70)}" is longer than PostgreSQL's 63-byte names`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** `SELECT * FROM <table> LIMIT 20`, the names quoted. @throws PreviewSqlError for a bad name */
export function tableQuery(table: PreviewTable): string {
  const name =
    table.schema === undefined
      ? quoteIdentifier(table.name)
      : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
  return `SELECT * FROM ${name} LIMIT ${PREVIEW_ROWS}`;
}

/** First words a single query may start with (PostgreSQL docs, SELECT's synopsis: WITH, SELECT, VALUES, TABLE). */
const QUERY_STARTS = new Set(['select', 'with', 'values', 'table']);

/**
 * A typed query wrapped as `SELECT * FROM (<sql>) AS preview LIMIT 20`, after checking that it is one query
 * (SELECT, WITH … SELECT, VALUES or TABLE) and nothing else: no second statement after a `;`, no
 * unterminated literal, quoted name or comment, parentheses balanced — under both settings of
 * `standard_conforming_strings`, so a backslash cannot make it read differently upstream. A trailing `;` is
 * dropped. This is a first line only: the server then parses the wrapped text as one statement (a Parse
 * message refuses several) and runs it in a READ ONLY transaction.
 * @throws PreviewSqlError saying what is not accepted
 */
export function selectQuery(sql: string): string {
  if (sql.length > MAX_PREVIEW_SQL)
    throw new PreviewSqlError(
      `the query is longer than ${MAX_PREVIEW_SQL.toLocaleString('en-US')} characters`,
    );
  let body = sql;
  for (const standardConformingStrings of [true, false]) {
    body = checkOne(sql, standardConformingStrings);
  }
  return `SELECT * FROM (\n${body}\n) AS preview LIMIT ${PREVIEW_ROWS}`;
}

/** The query without a trailing `;`, when it is one query read with this setting. */
function checkOne(sql: string, standardConformingStrings: boolean): string {
  const scanner = new SqlScanner(sql, { standardConformingStrings });
  let first: string | undefined;
  let depth = 0;
  let end = -1;
  let endedAt = -1;
  while (scanner.next()) {
    const { kind, start } = scanner;
    if (scanner.unterminated)
      throw new PreviewSqlError('the query ends inside a quoted text, quoted name or comment');
    if (kind === 'space' || kind === 'comment') continue;
    if (endedAt >= 0)
      throw new PreviewSqlError('only one statement may be previewed: remove what follows the ;');
    if (kind === 'semicolon') {
      endedAt = start;
      continue;
    }
    const text = sql.slice(start, scanner.end);
    if (first === undefined && !(kind === 'other' && text === '(')) {
      first = kind === 'identifier' ? text.toLowerCase() : text;
      if (!QUERY_STARTS.has(first))
        throw new PreviewSqlError(`only a SELECT can be previewed (this starts with "${text.slice(0, 40)}")`);
    }
    if (kind === 'other' && text === '(') depth++;
    if (kind === 'other' && text === ')' && --depth < 0)
      throw new PreviewSqlError('the query closes a parenthesis it never opened');
    end = scanner.end;
  }
  if (first === undefined) throw new PreviewSqlError('type a SELECT to preview');
  if (depth !== 0) throw new PreviewSqlError('the query leaves a parenthesis open');
  return sql.slice(0, end);
}
