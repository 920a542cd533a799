import type { Database as Db, Statement } from 'better-sqlite3';
import { idleAt } from './activity.js';
import type { Identity, RecordedEvent, Session, SessionKind, SessionStats } from './types.js';

/**
 * The columns to select for a session ({@link SessionRow}): the row, and whether an exchange of it is in
 * flight (`busy`, 1 or 0), which decides whether it can be shown idle.
 */
export const SESSION_COLUMNS =
  '*, EXISTS (SELECT 1 FROM inflight WHERE inflight.session_id = sessions.id) AS busy';

/** A `sessions` row as SQLite returns it (JSON columns still text), selected with {@link SESSION_COLUMNS}. */
export interface SessionRow {
  id: string;
  kind: SessionKind;
  target: string;
  client: string | null;
  identity: string;
  external_id: string | null;
  started_at: number;
  ended_at: number | null;
  last_event_at: number;
  status: Session['status'];
  stats: string;
  head_seq: number;
  head_hash: string;
  /** 1 while an exchange of the session is in flight (absent when not selected: taken as 0). */
  busy?: number;
}

/** An `events` row as SQLite returns it (payload still canonical JSON text). */
export interface EventRow {
  session_id: string;
  seq: number;
  ts: number;
  kind: string;
  payload: string;
  hash: string;
}

/** Adds numeric deltas to running stats in place; cost is kept to 1e-6 dollars. */
export function addStats(stats: SessionStats, delta: SessionStats): void {
  for (const [key, value] of Object.entries(delta)) {
    if (Number.isFinite(value)) stats[key] = (stats[key] ?? 0) + value;
  }
  if (stats.cost_usd !== undefined) stats.cost_usd = Math.round(stats.cost_usd * 1e6) / 1e6;
}

/** A session row with its JSON columns parsed. */
export function toSession(row: SessionRow): Session {
  const { busy, ...columns } = row;
  return {
    ...columns,
    identity: JSON.parse(row.identity) as Identity,
    stats: JSON.parse(row.stats) as SessionStats,
    idle_at: idleAt(row, busy === 1),
  };
}

/** An event row with its payload parsed. */
export function toEvent(row: EventRow): RecordedEvent {
  return { ...row, payload: JSON.parse(row.payload) as unknown };
}

/** The columns of an event as callers see it (the rowid `id` is internal). */
const EVENT_COLUMNS = 'session_id, seq, ts, kind, payload, hash';

/** The statements the store runs, prepared once per connection. */
export function prepareStatements(db: Db) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    insertSession: p(`INSERT INTO sessions (id, kind, target, client, identity, external_id, started_at,
      last_event_at, status, head_hash) VALUES (@id, @kind, @target, @client, @identity, @external_id,
      @started_at, @last_event_at, 'live', @head_hash)`),
    session: p(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`),
    byExternalId: p(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE kind = ? AND external_id = ? ORDER BY started_at DESC LIMIT 1`,
    ),
    anyExternal: p(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE external_id = ? ORDER BY started_at DESC LIMIT 5`,
    ),
    byPrefix: p(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id LIKE ? ORDER BY started_at DESC LIMIT 5`),
    allIds: p('SELECT id FROM sessions ORDER BY started_at, id'),
    liveSessions: p(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE status = 'live'`),
    reopen: p(`UPDATE sessions SET status = 'live', ended_at = NULL WHERE id = ?`),
    end: p('UPDATE sessions SET status = ?, ended_at = ? WHERE id = ?'),
    head: p('SELECT head_seq, head_hash, stats, last_event_at, status FROM sessions WHERE id = ?'),
    advanceHead: p(
      'UPDATE sessions SET head_seq = ?, head_hash = ?, last_event_at = ?, stats = ? WHERE id = ?',
    ),
    insertEvent: p('INSERT INTO events (session_id, seq, ts, kind, payload, hash) VALUES (?, ?, ?, ?, ?, ?)'),
    insertFts: p('INSERT INTO events_fts (rowid, text) VALUES (?, ?)'),
    events: p(`SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
    allEvents: p(`SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = ? ORDER BY seq`),
    insertInflight: p(`INSERT INTO inflight (session_id, request_seq, kind, started_at, updated_at, partial,
      request_event_id, request_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    inflightText: p(
      'SELECT request_event_id, request_text FROM inflight WHERE session_id = ? AND request_seq = ?',
    ),
    updateInflight: p(
      'UPDATE inflight SET partial = ?, updated_at = ? WHERE session_id = ? AND request_seq = ?',
    ),
    deleteInflight: p('DELETE FROM inflight WHERE session_id = ? AND request_seq = ?'),
    insertParts: p('INSERT INTO inflight_parts (session_id, request_seq, ts, deltas) VALUES (?, ?, ?, ?)'),
    deleteParts: p('DELETE FROM inflight_parts WHERE session_id = ? AND request_seq = ?'),
    partsAfter:
      p(`SELECT id, ts, deltas FROM inflight_parts WHERE session_id = ? AND request_seq = ? AND id > ?
      ORDER BY id`),
    unanswered: p(
      `SELECT seq FROM events WHERE session_id = @id AND kind = @request AND seq NOT IN (
         SELECT json_extract(payload, '$.' || @ref) FROM events WHERE session_id = @id AND kind = @outcome)
       ORDER BY seq`,
    ).pluck(),
    putApproval: p(`INSERT OR REPLACE INTO approvals (id, session_id, request_seq, rule_id, what, status,
      requested_at, expires_at, decided_at, decided_by, reason, scope) VALUES (@id, @session_id, @request_seq,
      @rule_id, @what, @status, @requested_at, @expires_at, @decided_at, @decided_by, @reason, @scope)`),
    approval: p('SELECT * FROM approvals WHERE id = ?'),
    approvals: p(`SELECT * FROM approvals WHERE @all OR status = 'pending'
      ORDER BY status = 'pending' DESC, requested_at DESC, id DESC LIMIT @limit`),
    inflightOf: p(`SELECT session_id, request_seq, kind, started_at, updated_at, partial FROM inflight
      WHERE session_id = ? ORDER BY request_seq`),
  };
}
