import { canonicalJson } from '../common/canonical-json.js';
import { JsonText } from '../common/json-text.js';
import { chainHash } from './chain.js';
import type { prepareStatements } from './rows.js';
import type { ApprovalRow, SessionKind, SessionStatus } from './types.js';

/**
 * One row-level write of the store, as journaled and then applied to SQLite. The store fixes everything that
 * orders the record (sequence numbers, times, running stats) when the write is made. An event's canonical
 * payload text and chain hash are derived when SQLite takes it ({@link applyOps}): they follow from the op and
 * the session's previous hash alone, so the same op list gives the same database whether applied at once,
 * on the apply thread, or replayed after a crash — and the proxies' event loop never pays for them.
 * Other JSON columns travel as the exact text to store.
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
      /**
       * The payload as JSON text in any key order, as written in memory: a string, or a `JsonText` as the
       * proxy gave it (whose bytes, when it has them, the journal writes as they are). In memory only, but for
       * journals of earlier versions (see `hash`): a journal line carries the payload as `value`.
       */
      payload?: string | JsonText;
      /** The payload as read back from a journal line, which carries it as JSON rather than as a string. */
      value?: unknown;
      /** Only in journals of earlier versions: their `payload` is already canonical and this its hash. */
      hash?: string;
      /** JSON text of the session's running stats after this event. */
      stats: string;
      /** Text for the full-text index, if any. */
      text?: string;
      /** Opens an in-flight record for this (request) event's outcome. */
      inflight?: { kind: string; partial: string; text: string | null };
    }
  /** Replaced an in-flight record's partial payload whole: written only by earlier versions' journals. */
  | { op: 'inflight'; session_id: string; request_seq: number; partial: string; updated_at: number }
  /**
   * A checkpoint of an in-flight exchange: deltas to its partial payload (inflight-deltas.ts), as the JSON
   * text of their array in memory (spliced into the journal line as JSON), or as read back from a line.
   */
  | {
      op: 'inflight_parts';
      session_id: string;
      request_seq: number;
      /** µs since epoch. */
      ts: number;
      deltas: string | unknown[];
    }
  /**
   * Indexes an in-flight request's text (`request_text` when given, else the text its record holds) and drops
   * its record and checkpoints; its outcome `event` op follows.
   */
  | { op: 'seal'; session_id: string; request_seq: number; request_text?: string }
  | { op: 'end'; session_id: string; status: SessionStatus; ended_at: number }
  | { op: 'reopen'; session_id: string }
  /** Writes an `approvals` row whole (inserted, or replaced at a transition). */
  | { op: 'approval'; row: ApprovalRow };

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
  const chain = new ChainHeads(sql);
  for (const op of ops) applyOp(sql, chain, op, op.op !== 'event' || lastEvent.get(op.session_id) === op);
}

/** The hash of each session's newest event while ops are applied: SQLite's head, then what was applied. */
class ChainHeads {
  private readonly hashes = new Map<string, string>();

  constructor(private readonly sql: Statements) {}

  /** The hash the session's next event chains from (its id when it has none yet). */
  previous(sessionId: string): string {
    const known = this.hashes.get(sessionId);
    if (known !== undefined) return known;
    const row = this.sql.head.get(sessionId) as { head_hash: string } | undefined;
    return row?.head_hash ?? sessionId;
  }

  set(sessionId: string, hash: string): void {
    this.hashes.set(sessionId, hash);
  }
}

/**
 * An event's payload as the canonical JSON text that is stored and hashed. A payload that has no canonical
 * form (nested deeper than canonical JSON allows) is stored as an error note in its place, so one bad event
 * can never stop SQLite from taking the ones after it, nor leave a hole in the chain.
 */
export function canonicalPayload(op: Extract<StoreOp, { op: 'event' }>): string {
  if (op.hash !== undefined && typeof op.payload === 'string') return op.payload;
  try {
    const text = op.payload instanceof JsonText ? op.payload.text : op.payload;
    return canonicalJson(text !== undefined ? JSON.parse(text) : op.value);
  } catch (error) {
    return canonicalJson({
      glassbox_error: `the payload could not be stored as canonical JSON: ${(error as Error).message}`,
    });
  }
}

/** Applies one op; `advanceHead` false skips an event's head update (a later event of its session sets it). */
function applyOp(sql: Statements, chain: ChainHeads, op: StoreOp, advanceHead: boolean): void {
  switch (op.op) {
    case 'session':
      sql.insertSession.run({ ...op, last_event_at: op.started_at, head_hash: op.id });
      chain.set(op.id, op.id);
      return;
    case 'event': {
      const payload = canonicalPayload(op);
      const hash = chainHash(chain.previous(op.session_id), op.seq, op.ts, op.kind, payload);
      const { lastInsertRowid } = sql.insertEvent.run(op.session_id, op.seq, op.ts, op.kind, payload, hash);
      chain.set(op.session_id, hash);
      if (advanceHead) sql.advanceHead.run(op.seq, hash, op.ts, op.stats, op.session_id);
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
    case 'inflight_parts': {
      const deltas = typeof op.deltas === 'string' ? op.deltas : JSON.stringify(op.deltas);
      sql.insertParts.run(op.session_id, op.request_seq, op.ts, deltas);
      return;
    }
    case 'seal': {
      const request = sql.inflightText.get(op.session_id, op.request_seq) as
        | { request_event_id: number; request_text: string | null }
        | undefined;
      const text = op.request_text ?? request?.request_text;
      if (request && text) sql.insertFts.run(request.request_event_id, text);
      sql.deleteInflight.run(op.session_id, op.request_seq);
      sql.deleteParts.run(op.session_id, op.request_seq);
      return;
    }
    case 'end':
      sql.end.run(op.status, op.ended_at, op.session_id);
      return;
    case 'reopen':
      sql.reopen.run(op.session_id);
      return;
    case 'approval':
      sql.putApproval.run(op.row);
      return;
  }
}
