import { SESSION_COLUMNS } from './rows.js';
import type { SessionFilter } from './types.js';

/**
 * Turns what a person types into a safe SQLite FTS5 MATCH expression: each word becomes a quoted term
 * (so punctuation and FTS operators in the input cannot cause syntax errors), words are ANDed, and the last
 * word matches as a prefix. Words split where the index's `unicode61` tokenizer splits (at anything but
 * letters, digits and marks — `pgbench_accounts` is two tokens), since a quoted term holding two tokens
 * would be a phrase query, which the index (detail=none) cannot answer. Returns '' when there is nothing
 * to search for.
 */
export function ftsQuery(input: string): string {
  const words = input.match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  if (words.length === 0) return '';
  return words.map((word, i) => `"${word}"${i === words.length - 1 ? '*' : ''}`).join(' AND ');
}

/**
 * The SQL and named parameters listing sessions newest first for `filter` (started before, kind, status,
 * target substring, start-time range, person (subject or email) and group of the recorded identity, full-text
 * words); `limit` defaults to 50 and is capped at 10,000.
 */
export function sessionListQuery(filter: SessionFilter): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.before !== undefined) {
    where.push('started_at < @before');
    params.before = filter.before;
  }
  if (filter.kind) {
    where.push('kind = @kind');
    params.kind = filter.kind;
  }
  if (filter.status) {
    where.push('status = @status');
    params.status = filter.status;
  }
  if (filter.target) {
    where.push('instr(lower(target), lower(@target)) > 0');
    params.target = filter.target;
  }
  if (filter.from !== undefined) {
    where.push('started_at >= @from');
    params.from = filter.from;
  }
  if (filter.to !== undefined) {
    where.push('started_at < @to');
    params.to = filter.to;
  }
  if (filter.person) {
    // Sessions record `identity` as JSON text (store/rows.ts); subject and email are strings or null.
    where.push(
      "(lower(json_extract(identity, '$.email')) = lower(@person) OR lower(json_extract(identity, '$.subject')) = lower(@person))",
    );
    params.person = filter.person;
  }
  if (filter.group) {
    where.push("EXISTS (SELECT 1 FROM json_each(identity, '$.groups') WHERE lower(value) = lower(@group))");
    params.group = filter.group;
  }
  const match = filter.text ? ftsQuery(filter.text) : '';
  if (match) {
    where.push(
      'id IN (SELECT session_id FROM events WHERE id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH @match))',
    );
    params.match = match;
  }
  params.limit = Math.min(Math.max(filter.limit ?? 50, 1), 10_000);
  const sql = `SELECT ${SESSION_COLUMNS} FROM sessions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY started_at DESC, id DESC LIMIT @limit`;
  return { sql, params };
}
