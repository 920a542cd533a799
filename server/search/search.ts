/**
 * Full-text search over the mirrored events (`GET /v1/search`): the events whose tsvector (derived at ingest
 * from prompts, replies, tool calls and SQL, proxy/sync/search-text.ts) matches `websearch_to_tsquery('simple',
 * q)`, restricted to sessions the viewer may read and the filters, newest first, keyset-paginated on
 * (ts, session_id, seq). Each match carries a snippet of its text around the first hit (the engine's snippet
 * function), computed for the page's rows only.
 *
 * PostgreSQL's planner picks between walking `events_ts` newest first (fast when matches are dense) and the
 * GIN index (fast when they are few) from its estimate of how many events match, and that estimate is wrong
 * exactly where it hurts: words that are each common but never occur together (estimated as independent:
 * 1.6 s at 1M events, walking every row), or a common word in one person's sessions (the walk filters out
 * everyone else's, 2 s for a person whose sessions are old). So the plan is chosen here, by what is known:
 * 1. newest first, bounded — when the planner's estimate (the text's frequency times the share of events in
 *    the sessions the filters leave) says a page lies within the newest half of {@link MAX_WALK} events, up
 *    to ten times that many events (after the cursor) are filtered, stopping at a full page: the answer;
 * 2. sessions first — else, or when that walk comes up short, if the session filters (person, group,
 *    target, kind, a non-auditor's own) leave at most {@link MAX_CANDIDATE_SESSIONS} sessions holding at
 *    most {@link MAX_CANDIDATE_EVENTS} events: only their events are read (by key) and tested, then sorted;
 * 3. text first — otherwise (a rare word, or a walk that came up short: words that never occur together)
 *    every match from the GIN index, filtered and sorted.
 * Measured in test/bench/server/search.ts.
 */
import type pg from 'pg';
import type { SearchPage } from '../../proxy/sync/protocol.js';
import { mirroredEventText, snippet } from '../../proxy/sync/search-text.js';
import { decodeCursor, EventKey, encodeCursor } from './cursor.js';
import {
  estimateMatches,
  type Filters,
  Params,
  type Query,
  sessionConditions,
  textQuery,
  type Viewer,
} from './filters.js';

interface MatchRow {
  session_id: string;
  seq: number;
  ts: number;
  kind: string;
  payload: string;
  owner_subject: string;
  owner_email: string | null;
}

/** Sessions-first search applies when the session filters leave at most this many sessions… */
const MAX_CANDIDATE_SESSIONS = 2000;
/** … holding at most this many events. */
const MAX_CANDIDATE_EVENTS = 50_000;
/** A newest-first walk looks at ten times the events the estimate says a page needs, within these bounds. */
const MIN_WALK = 2_000;
const MAX_WALK = 40_000;

/** How {@link searchQuery} finds matches (see the module's comment). */
export type SearchPlan =
  | { type: 'sessions'; ids: string[] }
  | { type: 'walk'; window: number /** The planner's count of all events. */; total: number }
  | { type: 'text' };

/**
 * The query of {@link searchEvents} with `plan` (one row more than the page); exported for the benchmark's
 * EXPLAIN.
 * @throws HttpError 400 for a wordless `q` or a bad cursor
 */
export function searchQuery(viewer: Viewer, filters: Filters & { q: string }, plan: SearchPlan): Query {
  const params = new Params();
  const text = `e.search @@ ${textQuery(filters.q, params)}`;
  const bounds: string[] = [];
  if (filters.from !== undefined) bounds.push(`e.ts >= ${params.add(filters.from)}`);
  if (filters.to !== undefined) bounds.push(`e.ts < ${params.add(filters.to)}`);
  const after = decodeCursor(filters.cursor, EventKey);
  if (after)
    bounds.push(
      `(e.ts, e.session_id, e.seq) < (${params.add(after[0])}, ${params.add(after[1])}, ${params.add(after[2])})`,
    );
  const order = 'ORDER BY e.ts DESC, e.session_id DESC, e.seq DESC';
  const limit = params.add(filters.limit + 1);
  if (plan.type === 'walk') {
    const conditions = sessionConditions(viewer, filters, params);
    const sql = `SELECT e.session_id, e.seq, e.ts, e.kind, e.payload, s.owner_subject, s.owner_email
      FROM (SELECT e.session_id, e.seq, e.ts, e.kind, e.payload, e.search FROM events e
            ${bounds.length ? `WHERE ${bounds.join(' AND ')}` : ''} ${order} LIMIT ${Math.floor(plan.window)}) e
      JOIN sessions s ON s.id = e.session_id
      WHERE ${[text, ...conditions].join(' AND ')}
      ${order} LIMIT ${limit}`;
    return { text: sql, values: params.values };
  }
  // Sessions first and text first: the matches' keys from the GIN index (materialized, so the planner cannot
  // turn it back into a walk), the page of them, then its payloads.
  const conditions =
    plan.type === 'sessions'
      ? [`e.session_id = ANY(${params.add(plan.ids)}::text[])`]
      : sessionConditions(viewer, filters, params);
  // Sessions first reads the candidates' events by their key and tests each one's text: `|| ''` keeps the
  // planner off the GIN index, whose bitmap for a common word alone costs more (180 ms at 1M events) than
  // reading every candidate event (at most MAX_CANDIDATE_EVENTS).
  const matches =
    plan.type === 'sessions'
      ? [`(e.search || ''::tsvector) @@ ${text.slice('e.search @@ '.length)}`, ...bounds, ...conditions]
      : [text, ...bounds];
  const kept = plan.type === 'sessions' ? [] : conditions;
  const sql = `WITH m AS MATERIALIZED (SELECT e.session_id, e.seq, e.ts FROM events e WHERE ${matches.join(' AND ')}),
    page AS (SELECT e.session_id, e.seq, e.ts, s.owner_subject, s.owner_email
             FROM m e JOIN sessions s ON s.id = e.session_id ${kept.length ? `WHERE ${kept.join(' AND ')}` : ''}
             ${order} LIMIT ${limit})
    SELECT e.session_id, e.seq, e.ts, x.kind, x.payload, e.owner_subject, e.owner_email
    FROM page e JOIN events x ON x.session_id = e.session_id AND x.seq = e.seq ${order}`;
  return { text: sql, values: params.values };
}

/**
 * The plan for a search (see the module's comment), from the planner's estimate of the matches and, with
 * session filters, the sessions they leave: newest first over a window ten times the events a page should
 * need when that is at most half of {@link MAX_WALK}; else sessions first when the filters leave few enough sessions;
 * else text first. `fallback` is what to run when a walk finds less than a page.
 */
export async function choosePlan(
  pool: pg.Pool,
  viewer: Viewer,
  filters: Filters & { q: string },
): Promise<{ plan: SearchPlan; fallback: SearchPlan }> {
  const estimate = await estimateMatches(pool, filters.q);
  const params = new Params();
  const conditions = sessionConditions(viewer, filters, params);
  let share = 1;
  let candidates: SearchPlan | undefined;
  if (conditions.length > 0) {
    const rows = (
      await pool.query<{ id: string; head_seq: number }>(
        `SELECT s.id, s.head_seq FROM sessions s WHERE ${conditions.join(' AND ')} LIMIT ${MAX_CANDIDATE_SESSIONS + 1}`,
        params.values,
      )
    ).rows;
    const events = rows.reduce((sum, row) => sum + Number(row.head_seq), 0);
    if (rows.length <= MAX_CANDIDATE_SESSIONS) {
      share = events / Math.max(estimate.events, 1);
      if (events <= MAX_CANDIDATE_EVENTS) candidates = { type: 'sessions', ids: rows.map((row) => row.id) };
    }
  }
  const fallback = candidates ?? { type: 'text' };
  const density = (Math.max(estimate.matches, 1) / Math.max(estimate.events, 1)) * share;
  const needed = (filters.limit + 1) / Math.max(density, 1e-12);
  if (needed > MAX_WALK / 2) return { plan: fallback, fallback };
  // The walk stops as soon as it has a page, so a window well above the estimate costs nothing when the
  // estimate is right, and bounds the walk when it is not (words that never occur together).
  return {
    plan: {
      type: 'walk',
      window: Math.min(MAX_WALK, Math.max(MIN_WALK, 10 * needed)),
      total: estimate.events,
    },
    fallback,
  };
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
  const run = async (plan: SearchPlan) => {
    const query = searchQuery(viewer, filters, plan);
    return (await pool.query<MatchRow>(query.text, query.values)).rows;
  };
  const { plan, fallback } = await choosePlan(pool, viewer, filters);
  let rows = await run(plan);
  if (plan.type === 'walk' && rows.length <= filters.limit && !(await walkSawAll(pool, filters, plan)))
    rows = await run(fallback);
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

/**
 * Whether fewer than `window` events lie within the search's time bounds and after its cursor, so that a
 * walk over `window` events saw every one (the last pages of a common word): then its short page is the
 * answer, and the text-first fallback (every match of that word) is not needed.
 */
async function walkSawAll(
  pool: pg.Pool,
  filters: Filters,
  plan: { window: number; total: number },
): Promise<boolean> {
  const window = Math.floor(plan.window);
  // A first page over all time, with the planner counting more events than the window (words that never
  // occur together): not all seen, without counting. A count of 0 (never analysed) proves nothing: count.
  if (!filters.cursor && filters.from === undefined && filters.to === undefined && plan.total >= window)
    return false;
  const params = new Params();
  const bounds: string[] = [];
  if (filters.from !== undefined) bounds.push(`e.ts >= ${params.add(filters.from)}`);
  if (filters.to !== undefined) bounds.push(`e.ts < ${params.add(filters.to)}`);
  const after = decodeCursor(filters.cursor, EventKey);
  if (after)
    bounds.push(
      `(e.ts, e.session_id, e.seq) < (${params.add(after[0])}, ${params.add(after[1])}, ${params.add(after[2])})`,
    );
  const count = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM events e ${bounds.length ? `WHERE ${bounds.join(' AND ')}` : ''}
     ORDER BY e.ts DESC LIMIT ${window}) w`,
    params.values,
  );
  return (count.rows[0]?.n ?? 0) < window;
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
