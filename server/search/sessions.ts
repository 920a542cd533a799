/**
 * Sessions as auditors and their owners read them: one session (visibility-checked: a session the viewer may
 * not see is "not found", never "forbidden", so its existence does not leak) and the filtered list, newest
 * first, keyset-paginated on (started_at, id) with the `sessions_started` / `sessions_owner` indexes.
 */
import type pg from 'pg';
import type { ServerSession, SessionPage } from '../../proxy/sync/protocol.js';
import { canRead } from '../auth/principal.js';
import { HttpError } from '../http/errors.js';
import { decodeCursor, encodeCursor, SessionKey } from './cursor.js';
import {
  estimateMatches,
  type Filters,
  Params,
  type Query,
  sessionConditions,
  textQuery,
  type Viewer,
} from './filters.js';

/** The columns of a session row, as {@link toServerSession} reads them. */
const COLUMNS = `s.id, s.owner_issuer, s.owner_subject, s.owner_email, s.owner_name, s.owner_groups, s.kind,
  s.target, s.client, s.identity, s.identity_mismatch, s.started_at, s.ended_at, s.status, s.stats, s.head_seq,
  s.head_hash, s.last_received_at,
  (SELECT count(*)::int FROM integrity_alerts a WHERE a.session_id = s.id) AS alerts`;

interface SessionRow {
  id: string;
  owner_issuer: string;
  owner_subject: string;
  owner_email: string | null;
  owner_name: string | null;
  owner_groups: string[];
  kind: ServerSession['kind'];
  target: string;
  client: string | null;
  identity: ServerSession['identity'];
  identity_mismatch: boolean;
  started_at: number;
  ended_at: number | null;
  status: ServerSession['status'];
  stats: Record<string, number>;
  head_seq: number;
  head_hash: string;
  last_received_at: number;
  alerts: number;
}

function toServerSession(row: SessionRow): ServerSession {
  return {
    id: row.id,
    owner: {
      issuer: row.owner_issuer,
      subject: row.owner_subject,
      email: row.owner_email,
      name: row.owner_name,
      groups: row.owner_groups,
    },
    kind: row.kind,
    target: row.target,
    client: row.client,
    identity: row.identity,
    identity_mismatch: row.identity_mismatch,
    started_at: row.started_at,
    ended_at: row.ended_at,
    status: row.status,
    stats: row.stats,
    head_seq: row.head_seq,
    head_hash: row.head_hash,
    last_received_at: row.last_received_at,
    alerts: row.alerts,
  };
}

/**
 * Session `id` if the viewer may read it.
 * @throws HttpError 404 not_found when there is none or it is someone else's (for a non-auditor)
 */
export async function readableSession(
  pool: pg.Pool,
  viewer: Viewer,
  id: string,
  roles: Parameters<typeof canRead>[2],
): Promise<ServerSession> {
  const row = (await pool.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions s WHERE s.id = $1`, [id]))
    .rows[0];
  if (!row || !canRead(viewer.principal, { issuer: row.owner_issuer, subject: row.owner_subject }, roles))
    throw new HttpError(404, 'not_found', `no session ${id}`);
  return toServerSession(row);
}

/** Sessions a newest-first walk looks at for a text filter before it gives way to a text-first search. */
const WALK_SESSIONS = 100;
/** Text first when the planner expects at most this many matching events (a walk checks sessions one by one). */
const TEXT_FIRST_MATCHES = 20_000;

function walkWindow(filters: Filters): number {
  return Math.max(WALK_SESSIONS, 2 * filters.limit);
}

/**
 * The query of {@link listSessions} (one row more than the page, to know whether another follows); exported
 * for the benchmark's EXPLAIN. With `q`, `plan` says how (as in search.ts): `walk` checks the newest
 * max(100, 2 × limit) sessions passing the other filters for a matching event (each check reads that
 * session's events); `text` takes the sessions of every matching event from the GIN index. {@link listSessions}
 * goes text first when the planner expects few matches (≤ 20,000 events), else walks and falls back to text
 * first when the walk came up short without having seen every session (words that never occur together).
 * @throws HttpError 400 for a bad cursor or a `q` without words
 */
export function sessionsQuery(viewer: Viewer, filters: Filters, plan: 'walk' | 'text' = 'walk'): Query {
  const params = new Params();
  const where = sessionConditions(viewer, filters, params);
  if (filters.from !== undefined) where.push(`s.started_at >= ${params.add(filters.from)}`);
  if (filters.to !== undefined) where.push(`s.started_at < ${params.add(filters.to)}`);
  const after = decodeCursor(filters.cursor, SessionKey);
  if (after) where.push(`(s.started_at, s.id) < (${params.add(after[0])}, ${params.add(after[1])})`);
  const order = 'ORDER BY s.started_at DESC, s.id DESC';
  const filtered = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const limit = params.add(filters.limit + 1);
  if (!filters.q)
    return {
      text: `SELECT ${COLUMNS} FROM sessions s ${filtered} ${order} LIMIT ${limit}`,
      values: params.values,
    };
  const text = `e.search @@ ${textQuery(filters.q, params)}`;
  if (plan === 'walk') {
    return {
      text: `SELECT ${COLUMNS} FROM (SELECT * FROM sessions s ${filtered} ${order} LIMIT ${walkWindow(filters)}) s
        WHERE EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id AND ${text}) ${order} LIMIT ${limit}`,
      values: params.values,
    };
  }
  return {
    text: `WITH m AS MATERIALIZED (SELECT DISTINCT e.session_id FROM events e WHERE ${text})
      SELECT ${COLUMNS} FROM sessions s JOIN m ON m.session_id = s.id ${filtered} ${order} LIMIT ${limit}`,
    values: params.values,
  };
}

/** Whether the sessions passing the filters but `q` (after the cursor) all fit in the walk's window. */
async function walkSawAll(pool: pg.Pool, viewer: Viewer, filters: Filters): Promise<boolean> {
  const query = sessionsQuery(viewer, { ...filters, q: undefined, limit: walkWindow(filters) });
  const count = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (${query.text}) page`,
    query.values,
  );
  return (count.rows[0]?.n ?? 0) <= walkWindow(filters);
}

/**
 * A page of the sessions the viewer may read matching `filters`, newest first (`started_at`, then `id`,
 * descending). `from`/`to` bound started_at (µs, `to` exclusive); `q` keeps sessions with at least one event
 * matching the text.
 * @throws HttpError 400 for a bad cursor or a `q` without words
 */
export async function listSessions(pool: pg.Pool, viewer: Viewer, filters: Filters): Promise<SessionPage> {
  const run = async (plan: 'walk' | 'text') => {
    const query = sessionsQuery(viewer, filters, plan);
    return (await pool.query<SessionRow>(query.text, query.values)).rows;
  };
  let rows: SessionRow[];
  if (!filters.q) rows = await run('walk');
  else if ((await estimateMatches(pool, filters.q)).matches <= TEXT_FIRST_MATCHES) rows = await run('text');
  else {
    rows = await run('walk');
    if (rows.length <= filters.limit && !(await walkSawAll(pool, viewer, filters))) rows = await run('text');
  }
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    sessions: page.map(toServerSession),
    next_cursor: rows.length > filters.limit && last ? encodeCursor([last.started_at, last.id]) : null,
  };
}
