/**
 * Full-text search over the mirrored events (`GET /v1/search`): the events whose tsvector (derived at ingest
 * from prompts, replies, tool calls and SQL, proxy/sync/search-text.ts) matches `websearch_to_tsquery('simple',
 * q)`, restricted to sessions the viewer may read and the filters, newest first, keyset-paginated on
 * (ts, session_id, seq). Each match carries a snippet of its text around the first hit (the engine's snippet
 * function), computed for the page's rows only.
 */
import type pg from 'pg';
import type { SearchPage } from '../../proxy/sync/protocol.js';
import { mirroredEventText, snippet } from '../../proxy/sync/search-text.js';
import { decodeCursor, EventKey, encodeCursor } from './cursor.js';
import { type Filters, Params, type Query, sessionConditions, textQuery, type Viewer } from './filters.js';

interface MatchRow {
  session_id: string;
  seq: number;
  ts: number;
  kind: string;
  payload: string;
  owner_subject: string;
  owner_email: string | null;
}

/**
 * The query of {@link searchEvents} (one row more than the page); exported for the benchmark's EXPLAIN.
 * @throws HttpError 400 for a wordless `q` or a bad cursor
 */
export function searchQuery(viewer: Viewer, filters: Filters & { q: string }): Query {
  const params = new Params();
  const where = [
    `e.search @@ ${textQuery(filters.q, params)}`,
    ...sessionConditions(viewer, filters, params),
  ];
  if (filters.from !== undefined) where.push(`e.ts >= ${params.add(filters.from)}`);
  if (filters.to !== undefined) where.push(`e.ts < ${params.add(filters.to)}`);
  const after = decodeCursor(filters.cursor, EventKey);
  if (after)
    where.push(
      `(e.ts, e.session_id, e.seq) < (${params.add(after[0])}, ${params.add(after[1])}, ${params.add(after[2])})`,
    );
  const text = `SELECT e.session_id, e.seq, e.ts, e.kind, e.payload, s.owner_subject, s.owner_email
    FROM events e JOIN sessions s ON s.id = e.session_id
    WHERE ${where.join(' AND ')}
    ORDER BY e.ts DESC, e.session_id DESC, e.seq DESC LIMIT ${params.add(filters.limit + 1)}`;
  return { text, values: params.values };
}

/**
 * A page of events matching `filters.q` (required) in sessions the viewer may read; `from`/`to` bound the
 * event's ts (µs, `to` exclusive).
 * @throws HttpError 400 for a wordless `q` or a bad cursor
 */
export async function searchEvents(
  pool: pg.Pool,
  viewer: Viewer,
  filters: Filters & { q: string },
): Promise<SearchPage> {
  const query = searchQuery(viewer, filters);
  const rows = (await pool.query<MatchRow>(query.text, query.values)).rows;
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    matches: page.map((row) => ({
      session_id: row.session_id,
      seq: row.seq,
      ts: row.ts,
      kind: row.kind,
      snippet: snippetOf(row, filters.q),
      owner: { subject: row.owner_subject, email: row.owner_email },
    })),
    next_cursor:
      rows.length > filters.limit && last ? encodeCursor([last.ts, last.session_id, last.seq]) : null,
  };
}

/** The row's indexed text around the first word of `q` (plain text, ≤ ~160 characters). */
function snippetOf(row: MatchRow, q: string): string {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    return row.payload.slice(0, 160);
  }
  const text = mirroredEventText(row.session_id, row.seq, row.kind, payload) ?? '';
  return snippet(text, q).text;
}
