import { canonicalJson } from '../common/canonical-json.js';
import { nowMicros } from '../common/time.js';
import { chainHash } from './chain.js';
import type { StoreOp } from './ops.js';
import { addStats, type prepareStatements } from './rows.js';
import type { Session, SessionStats } from './types.js';

/** What a session's chain looks like at its newest event. Times in µs since epoch. */
export interface Head {
  seq: number;
  hash: string;
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
 */
export class Heads {
  private readonly heads = new Map<string, Head>();

  constructor(private readonly sql: ReturnType<typeof prepareStatements>) {}

  /** The head of a new, empty session: its chain starts from the session id. */
  start(id: string, startedAt: number): void {
    this.heads.set(id, { seq: 0, hash: id, lastEventAt: startedAt, stats: {}, status: 'live' });
  }

  /** Drops the heads of `sessionIds` (after a failed write): the next use reloads them from SQLite. */
  forget(sessionIds: Iterable<string>): void {
    for (const id of sessionIds) this.heads.delete(id);
  }

  /** A session's head, or undefined when there is no such session. */
  of(sessionId: string): Head | undefined {
    const cached = this.heads.get(sessionId);
    if (cached) return cached;
    const row = this.sql.head.get(sessionId) as
      | {
          head_seq: number;
          head_hash: string;
          stats: string;
          last_event_at: number;
          status: Session['status'];
        }
      | undefined;
    if (!row) return undefined;
    const head: Head = {
      seq: row.head_seq,
      hash: row.head_hash,
      lastEventAt: row.last_event_at,
      stats: JSON.parse(row.stats) as SessionStats,
      status: row.status,
    };
    this.heads.set(sessionId, head);
    return head;
  }

  /**
   * The next event of a session's chain as an op to write: seq, time, canonical payload, chain hash (see
   * chain.ts) and the running stats after it. Advances the head, so call it only when the op will be written.
   * @throws Error when the session does not exist (before anything changed)
   */
  next(sessionId: string, kind: string, payload: unknown, options: NextEventOptions): EventOp {
    const head = this.of(sessionId);
    if (!head) throw new Error(`cannot append to unknown session ${sessionId}`);
    const seq = head.seq + 1;
    // Events of a session are strictly ordered in time as well as in seq.
    const ts = Math.max(options.ts ?? nowMicros(), head.lastEventAt);
    const payloadJson = canonicalJson(payload);
    const hash = chainHash(head.hash, seq, ts, kind, payloadJson);
    if (options.stats) addStats(head.stats, options.stats);
    head.seq = seq;
    head.hash = hash;
    head.lastEventAt = ts;
    const op: EventOp = {
      op: 'event',
      session_id: sessionId,
      seq,
      ts,
      kind,
      payload: payloadJson,
      hash,
      stats: JSON.stringify(head.stats),
    };
    if (options.text) op.text = options.text;
    return op;
  }
}
