/**
 * The mirror's view of the local store: the `sync_state` table (migration 7) and the raw rows it sends. It
 * works on a connection of its own to the engine's SQLite file, so the mirror never waits on the store's
 * write path: it reads only what SQLite holds (WAL readers never block the writer) and writes its bookkeeping
 * directly, not through the journal. That bookkeeping is a copy of what the server acknowledged: a lost write
 * (a crash just after a batch) costs one resend, which the server accepts as identical (`duplicates`).
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import { openDatabase } from '../store/database.js';

/** One row of `sync_state`. `next_attempt_at` in ms since epoch. */
export interface SyncRow {
  session_id: string;
  acked_seq: number;
  acked_hash: string;
  last_error: string | null;
  next_attempt_at: number | null;
  /** The local head_seq the server refused; null when not refused. */
  refused: number | null;
}

/** A session the server does not fully hold yet (no sync_state, or its head past the acknowledged seq). */
export interface PendingSession {
  id: string;
  head_seq: number;
  /** null when the mirror has not asked the server yet. */
  sync: SyncRow | null;
}

/** The session row as the mirror sends it (the JSON columns still text). Times in µs since epoch. */
export interface SessionSource {
  id: string;
  kind: string;
  target: string;
  client: string | null;
  identity: string;
  started_at: number;
  ended_at: number | null;
  status: string;
  stats: string;
  head_seq: number;
  head_hash: string;
}

/** An event row as stored: `payload` is its canonical JSON text, exactly what the hash covers. */
export interface EventSource {
  seq: number;
  ts: number;
  kind: string;
  payload: string;
  hash: string;
}

const PENDING_SQL = `
  SELECT s.id, s.head_seq, st.session_id AS st_id, st.acked_seq, st.acked_hash, st.last_error,
         st.next_attempt_at, st.refused
  FROM sessions s LEFT JOIN sync_state st ON st.session_id = s.id
  WHERE s.head_seq > 0 AND (st.session_id IS NULL OR s.head_seq > st.acked_seq OR st.refused IS NOT NULL)
  ORDER BY s.id`;

type PendingRow = {
  id: string;
  head_seq: number;
  st_id: string | null;
  acked_seq: number | null;
  acked_hash: string | null;
  last_error: string | null;
  next_attempt_at: number | null;
  refused: number | null;
};

/** `sync_state` and the rows the mirror reads, on the mirror's own connection. */
export class SyncState {
  private readonly sql: Record<'pending' | 'get' | 'session' | 'events' | 'upsert', Statement>;

  /**
   * @param db a connection to the engine's database (migrated to version 7 or later)
   */
  constructor(private readonly db: Db) {
    this.sql = {
      pending: db.prepare(PENDING_SQL),
      get: db.prepare('SELECT * FROM sync_state WHERE session_id = ?'),
      session: db.prepare(
        'SELECT id, kind, target, client, identity, started_at, ended_at, status, stats, head_seq, head_hash FROM sessions WHERE id = ?',
      ),
      events: db.prepare(
        'SELECT seq, ts, kind, payload, hash FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      upsert: db.prepare(`
        INSERT INTO sync_state (session_id, acked_seq, acked_hash, last_error, next_attempt_at, refused)
        VALUES (@session_id, @acked_seq, @acked_hash, @last_error, @next_attempt_at, @refused)
        ON CONFLICT (session_id) DO UPDATE SET acked_seq = excluded.acked_seq, acked_hash = excluded.acked_hash,
          last_error = excluded.last_error, next_attempt_at = excluded.next_attempt_at, refused = excluded.refused`),
    };
  }

  /**
   * Opens its own connection to the database at `path` (already created and migrated by the store).
   * @throws Error when the file cannot be opened
   */
  static open(path: string): SyncState {
    return new SyncState(openDatabase(path, 2_000));
  }

  /** Every session not fully mirrored (refused ones included), by id (ULIDs: oldest first). */
  pending(): PendingSession[] {
    return (this.sql.pending.all() as PendingRow[]).map((row) => ({
      id: row.id,
      head_seq: row.head_seq,
      sync:
        row.st_id === null
          ? null
          : {
              session_id: row.id,
              acked_seq: row.acked_seq ?? 0,
              acked_hash: row.acked_hash ?? row.id,
              last_error: row.last_error,
              next_attempt_at: row.next_attempt_at,
              refused: row.refused,
            },
    }));
  }

  /** The session's sync_state row, or undefined before the mirror first asked the server. */
  get(sessionId: string): SyncRow | undefined {
    return this.sql.get.get(sessionId) as SyncRow | undefined;
  }

  /** Writes the whole row (insert or replace). */
  put(row: SyncRow): void {
    this.sql.upsert.run(row);
  }

  /** The session's row as SQLite holds it, or undefined. */
  session(sessionId: string): SessionSource | undefined {
    return this.sql.session.get(sessionId) as SessionSource | undefined;
  }

  /**
   * Up to `limit` events with seq > `after`, in order, stopping after the one whose payloads bring the total
   * to `maxBytes` or more (so that a batch never holds far more in memory than it may send).
   */
  events(
    sessionId: string,
    after: number,
    limit: number,
    maxBytes = Number.POSITIVE_INFINITY,
  ): EventSource[] {
    const rows: EventSource[] = [];
    let bytes = 0;
    for (const row of this.sql.events.iterate(sessionId, after, limit) as Iterable<EventSource>) {
      rows.push(row);
      bytes += row.payload.length;
      if (bytes >= maxBytes) break;
    }
    return rows;
  }

  /** Closes the connection. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
