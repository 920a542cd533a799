import type { prepareStatements } from './rows.js';
import type { SessionKind, SessionStatus } from './types.js';

/**
 * One row-level write of the store, as journaled and then applied to SQLite. The store computes everything
 * (sequence numbers, hashes, running stats) when the write is made; applying an op only copies values into
 * rows, so the same op list gives the same database whether applied at once or replayed after a crash.
 * JSON columns travel as the exact text to store.
 */
export type StoreOp =
  | {
      op: 'session';
      id: string;
      kind: SessionKind;
      target: string;
      client: string | null;
      /** JSON text of the Identity. */
      identity: string;
      external_id: string | null;
      /** µs since epoch. */
      started_at: number;
    }
  | {
      op: 'event';
      session_id: string;
      seq: number;
      /** µs since epoch. */
      ts: number;
      kind: string;
      /** Canonical JSON text, as hashed. */
      payload: string;
      hash: string;
      /** JSON text of the session's running stats after this event. */
      stats: string;
      /** Text for the full-text index, if any. */
      text?: string;
      /** Opens an in-flight record for this (request) event's outcome. */
      inflight?: { kind: string; partial: string; text: string | null };
    }
  | { op: 'inflight'; session_id: string; request_seq: number; partial: string; updated_at: number }
  /** Indexes an in-flight request's text and drops its record; its outcome `event` op follows. */
  | { op: 'seal'; session_id: string; request_seq: number }
  | { op: 'end'; session_id: string; status: SessionStatus; ended_at: number }
  | { op: 'reopen'; session_id: string };

type Statements = ReturnType<typeof prepareStatements>;

/**
 * Applies ops in order with the store's prepared statements; call inside a transaction. A session's head
 * columns (head_seq, head_hash, last_event_at, stats) hold absolute values, so of several `event` ops for one
 * session only the last one's are written.
 * @throws SqliteError when a row breaks a constraint (a replayed op that is already applied, for instance)
 */
export function applyOps(sql: Statements, ops: readonly StoreOp[]): void {
  const lastEvent = new Map<string, StoreOp>();
  for (const op of ops) if (op.op === 'event') lastEvent.set(op.session_id, op);
  for (const op of ops) applyOp(sql, op, op.op !== 'event' || lastEvent.get(op.session_id) === op);
}

/** Applies one op; `advanceHead` false skips an event's head update (a later event of its session sets it). */
function applyOp(sql: Statements, op: StoreOp, advanceHead: boolean): void {
  switch (op.op) {
    case 'session':
      sql.insertSession.run({ ...op, last_event_at: op.started_at, head_hash: op.id });
      return;
    case 'event': {
      const { lastInsertRowid } = sql.insertEvent.run(
        op.session_id,
        op.seq,
        op.ts,
        op.kind,
        op.payload,
        op.hash,
      );
      if (advanceHead) sql.advanceHead.run(op.seq, op.hash, op.ts, op.stats, op.session_id);
      if (op.text) sql.insertFts.run(lastInsertRowid, op.text);
      if (op.inflight) {
        const { kind, partial, text } = op.inflight;
        sql.insertInflight.run(op.session_id, op.seq, kind, op.ts, op.ts, partial, lastInsertRowid, text);
      }
      return;
    }
    case 'inflight':
      sql.updateInflight.run(op.partial, op.updated_at, op.session_id, op.request_seq);
      return;
    case 'seal': {
      const request = sql.inflightText.get(op.session_id, op.request_seq) as
        | { request_event_id: number; request_text: string | null }
        | undefined;
      if (request?.request_text) sql.insertFts.run(request.request_event_id, request.request_text);
      sql.deleteInflight.run(op.session_id, op.request_seq);
      return;
    }
    case 'end':
      sql.end.run(op.status, op.ended_at, op.session_id);
      return;
    case 'reopen':
      sql.reopen.run(op.session_id);
      return;
  }
}
