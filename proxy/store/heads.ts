import { JsonText } from '../common/json-text.js';
import { nowMicros } from '../common/time.js';
import type { StoreOp } from './ops.js';
import { addStats, type prepareStatements } from './rows.js';
import type { Session, SessionStats } from './types.js';

/**
 * What a session's chain looks like at its newest event, as far as appending needs it (the hash is derived
 * when SQLite takes the event; see ops.ts). Times in µs since epoch.
 */
export interface Head {
  seq: number;
  lastEventAt: number;
  stats: SessionStats;
  status: Session['status'];
}

/** How an event is appended: its time, searchable text and stats deltas. */
export interface NextEventOptions {
  /** Event time in µs since epoch; defaults to now (never earlier than the session's last event). */
  ts?: number;
  /** Text for the full-text index. */
  text?: string;
  /** Numeric deltas added to the session's running `stats`. */
  stats?: SessionStats;
}

/** An `event` op ready to write. */
export type EventOp = Extract<StoreOp, { op: 'event' }>;

/**
 * The head of every session's hash chain, in memory. The engine is the only writer and heads are never
 * dropped, so a cached head is the truth even while SQLite has not yet applied the latest writes; a session
 * not cached yet is read from SQLite (which then holds all of its events).
 *
 * Writes that fail are undone here too: between {@link Heads.begin} and {@link Heads.rollback} every head
 * is remembered as it was before its first change, and put back — never reloaded from SQLite, which may not
 * hold the session's latest journaled events yet (a full disk stops both).
 */
export class Heads {
  private readonly heads = new Map<string, Head>();
  /** Heads as they were before the open writes changed them (undefined: the session is new). */
  private undo: Map<string, Head | undefined> | undefined;

  constructor(private readonly sql: ReturnType<typeof prepareStatements>) {}

  /** Starts remembering heads before they change, for {@link Heads.rollback}. */
  begin(): void {
    this.undo = new Map();
  }

  /** The changes since {@link Heads.begin} are durable: nothing to undo. */
  commit(): void {
    this.undo = undefined;
  }

  /** The changes since {@link Heads.begin} were not made durable: every head goes back to how it was. */
  rollback(): void {
    const undo = this.undo;
    this.undo = undefined;
    if (!undo) return;
    for (const [id, head] of undo) {
      if (head) this.heads.set(id, head);
      else this.heads.delete(id);
    }
  }

  /** The head of a new, empty session: its chain starts from the session id. */
  start(id: string, startedAt: number): void {
    this.remember(id);
    this.heads.set(id, { seq: 0, lastEventAt: startedAt, stats: {}, status: 'live' });
  }

  /** Sets a session's status (when it ends or is reopened); nothing for an unknown session. */
  setStatus(id: string, status: Session['status']): void {
    const head = this.of(id);
    if (!head) return;
    this.remember(id);
    head.status = status;
  }

  /** A session's head, or undefined when there is no such session. */
  of(sessionId: string): Head | undefined {
    const cached = this.heads.get(sessionId);
    if (cached) return cached;
    const row = this.sql.head.get(sessionId) as
      | {
          head_seq: number;
          stats: string;
          last_event_at: number;
          status: Session['status'];
        }
      | undefined;
    if (!row) return undefined;
    const head: Head = {
      seq: row.head_seq,
      lastEventAt: row.last_event_at,
      stats: JSON.parse(row.stats) as SessionStats,
      status: row.status,
    };
    this.heads.set(sessionId, head);
    return head;
  }

  /**
   * The next event of a session's chain as an op to write: seq, time, the payload as JSON text (serialised
   * here, or a {@link JsonText} taken as it is; its canonical form and chain hash follow when SQLite
   * takes it) and the running stats after it. Advances the head, so
   * call it only when the op will be written.
   * @throws Error when the session does not exist; TypeError when the payload is not JSON (a BigInt, a cycle)
   *   — both before anything changed
   */
  next(sessionId: string, kind: string, payload: unknown, options: NextEventOptions): EventOp {
    const head = this.of(sessionId);
    if (!head) throw new Error(`cannot append to unknown session ${sessionId}`);
    const seq = head.seq + 1;
    // Events of a session are strictly ordered in time as well as in seq.
    const ts = Math.max(options.ts ?? nowMicros(), head.lastEventAt);
    const payloadJson = payload instanceof JsonText ? payload : (JSON.stringify(payload) ?? 'null');
    this.remember(sessionId);
    if (options.stats) addStats(head.stats, options.stats);
    head.seq = seq;
    head.lastEventAt = ts;
    const op: EventOp = {
      op: 'event',
      session_id: sessionId,
      seq,
      ts,
      kind,
      payload: payloadJson,
      stats: JSON.stringify(head.stats),
    };
    if (options.text) op.text = options.text;
    return op;
  }

  /** Remembers a head as it is now, the first time it changes since {@link Heads.begin}. */
  private remember(id: string): void {
    if (!this.undo || this.undo.has(id)) return;
    const head = this.heads.get(id);
    this.undo.set(id, head && { ...head, stats: { ...head.stats } });
  }
}
