import type { Database as Db } from 'better-sqlite3';
import { ulid } from 'ulid';
import { nowMicros } from '../common/time.js';
import { endsAtLastEvent, idleAt } from './activity.js';
import { ApprovalTable } from './approval-table.js';
import { ChangeFeed } from './change-feed.js';
import { openDatabase } from './database.js';
import { Heads, type NextEventOptions } from './heads.js';
import {
  type InflightDelta,
  InflightPartials,
  type InflightPartRow,
  type InflightRow,
} from './inflight-deltas.js';
import { Ingest, type IngestOptions, type IngestStats } from './ingest.js';
import type { StoreOp } from './ops.js';
import { RecentIds } from './recent-ids.js';
import { type SessionRow, toSession } from './rows.js';
import { StagedWrites } from './staged-writes.js';
import { StoreReads } from './store-reads.js';
import type {
  Appended,
  InflightExchange,
  NewSession,
  Session,
  SessionKind,
  StoreChange,
  StoreHealth,
} from './types.js';

export type { Appended, NewSession };

/** Options for {@link Store.append}: event time (µs since epoch), searchable text, stats deltas. */
export type AppendOptions = NextEventOptions;

/**
 * Options for {@link Store.open}: the write-ahead journal's directory (only the engine, holding the engine
 * lock, passes one; CLI commands and tests write straight to SQLite), its tuning, where warnings go and a
 * diagnostic for tests; see {@link IngestOptions}.
 */
export type StoreOpenOptions = Pick<
  IngestOptions,
  'journalDir' | 'applyDelayMs' | 'journalRotateBytes' | 'busyTimeoutMs' | 'warn' | 'onApplyThreadStart'
>;

/**
 * The local recording store: one SQLite file (better-sqlite3, WAL) holding sessions, their hash-chained
 * events, exchanges still in flight, and a full-text index.
 *
 * Every write is durable before the call returns, so callers append *before* forwarding bytes (DESIGN.md
 * promise 1). A write computes its rows in memory (sequence number, chain hash, running stats) and hands them
 * as ops to {@link Ingest}: in the engine that is one line in the write-ahead journal, which an apply thread
 * writes to SQLite milliseconds later in a shared transaction; elsewhere the ops go to SQLite at once. Either
 * way a write survives the process being killed (journal and WAL alike sit in the OS page cache); an OS crash
 * may lose the last ones. Reads first wait for queued writes, so this process always reads its own writes.
 *
 * One engine process writes; CLI commands may read concurrently (WAL readers never block the writer) and see
 * the engine's writes within milliseconds.
 */
export class Store extends StoreReads {
  private readonly heads: Heads;
  /** Sessions with an external id created by this process (the newest per kind and id), bounded. */
  private readonly recentExternal = new RecentIds(10_000);
  /** Writes and their notifications, held back while a {@link Store.batch} is open. */
  private readonly writes: StagedWrites;
  private readonly feed: ChangeFeed;
  /** Whether close() checkpoints the WAL: only the engine's store (CLI readers must never block it). */
  private readonly checkpointOnClose: boolean;
  private readonly ingest: Ingest;
  /** In-flight partials rebuilt by earlier reads, so a read applies only newer checkpoints. */
  private readonly partials = new InflightPartials();
  /** The `approvals` table (policy/approvals/). */
  readonly approvals: ApprovalTable;

  private constructor(db: Db, options: StoreOpenOptions & { databasePath?: string }) {
    super(db);
    this.heads = new Heads(this.sql);
    this.ingest = new Ingest(db, this.sql, { ...options, onApplied: (end) => this.feed.applied(end) });
    this.feed = new ChangeFeed(this.ingest, (id) => {
      const row = this.sql.session.get(id) as SessionRow | undefined;
      return row && toSession(row);
    });
    this.writes = new StagedWrites(this.ingest, this.heads, this.feed);
    this.checkpointOnClose = options.journalDir !== undefined;
    this.approvals = new ApprovalTable({
      sql: this.sql,
      settle: () => this.ingest.settle(),
      write: (ops) => this.writes.batch(() => this.write(ops)),
    });
  }

  /**
   * Opens (creating if needed, mode 0600) the database at `path` and migrates it (see {@link openDatabase}).
   * `:memory:` works for tests.
   * @throws Error when the file is not a SQLite database or was written by a newer schema.
   */
  static open(path: string, options: StoreOpenOptions = {}): Store {
    const db = openDatabase(path, options.busyTimeoutMs ?? 5_000);
    return new Store(db, path === ':memory:' ? options : { ...options, databasePath: path });
  }

  /** Write-path counters (journal lines, SQLite transactions, ops), for benchmarks. */
  get ingestStats(): IngestStats {
    return this.ingest.stats;
  }

  /**
   * Whether the store takes writes now, and why not (a full disk): while it does not, every write throws a
   * StoreUnavailableError at once (see unavailable.ts) and the proxies refuse what they cannot record.
   */
  health(): StoreHealth {
    return this.ingest.health;
  }

  /** Calls `listener` whenever {@link Store.health} changes. Returns the unsubscribe function. */
  onHealthChange(listener: (health: StoreHealth) => void): () => void {
    return this.ingest.onHealthChange(listener);
  }

  /**
   * Applies every queued write to SQLite, closes the journal (deleting it when SQLite holds all) and the
   * database; the engine's store also checkpoints the WAL into the main file (skipped, with nothing lost,
   * when the disk has no room for it). Further calls throw.
   */
  close(): void {
    if (!this.db.open) return;
    this.ingest.close();
    if (this.checkpointOnClose) {
      try {
        this.db.pragma('busy_timeout = 5000');
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // The WAL stays beside the database (a full disk): SQLite reads it as part of the database.
      }
    }
    this.db.close();
  }

  /**
   * Waits until SQLite holds every write made so far, for readers on connections of their own (the team
   * mirror): changes announced before they subscribed are then in what they read. Returns anyway when SQLite
   * is held up elsewhere for more than a few seconds (the writes stay journaled and queued).
   */
  override settle(): void {
    this.ingest.settle();
  }

  /** Subscribes to changes (new sessions, status changes, appended events). Returns the unsubscribe function. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    return this.feed.subscribe(listener);
  }

  /**
   * Makes every write `fn` performs durable together (one journal line), and sends their change
   * notifications only after that, so subscribers never see unwritten events. Nested calls join the outer
   * batch. A write that throws inside `fn` has changed nothing; the writes before it are kept and announced.
   * @throws whatever `fn` throws, after the writes it made are written; or the write error, when nothing of
   *   the batch could be made durable (the sessions it touched are then reloaded from SQLite)
   */
  batch(fn: () => void): void {
    this.writes.batch(fn);
  }

  /**
   * Creates a `live` session and returns it.
   * @throws StoreUnavailableError when the store refuses writes (a full disk)
   */
  createSession(init: NewSession, startedAt = nowMicros()): Session {
    return this.writes.batch(() => this.newSession(init, startedAt));
  }

  private newSession(init: NewSession, startedAt: number): Session {
    const id = ulid(Math.floor(startedAt / 1000));
    this.write([
      { op: 'session', id, ...init, identity: JSON.stringify(init.identity), started_at: startedAt },
    ]);
    this.heads.start(id, startedAt);
    const session: Session = {
      id,
      ...init,
      started_at: startedAt,
      ended_at: null,
      last_event_at: startedAt,
      idle_at: idleAt({ kind: init.kind, status: 'live', last_event_at: startedAt }, false),
      status: 'live',
      stats: {},
      head_seq: 0,
      head_hash: id,
    };
    this.emit({ type: 'session', session });
    if (init.external_id !== null) this.recentExternal.remember(`${init.kind}\u0000${init.external_id}`, id);
    return session;
  }

  /** The newest session of `kind` whose `external_id` matches, if any. */
  findByExternalId(kind: SessionKind, externalId: string): Session | undefined {
    this.ingest.settle();
    const row = this.sql.byExternalId.get(kind, externalId) as SessionRow | undefined;
    return row && toSession(row);
  }

  /**
   * The id of the newest session of `kind` whose `external_id` matches, for the proxies' hot path: sessions
   * created by this process are answered from memory, older ones from SQLite without waiting for queued
   * writes (they cannot concern sessions this process created, unless forgotten from memory since).
   */
  externalSessionId(kind: SessionKind, externalId: string): string | undefined {
    const key = `${kind}\u0000${externalId}`;
    const recent = this.recentExternal.get(key);
    if (recent) return recent;
    if (this.recentExternal.forgotSince) this.ingest.settle();
    this.recentExternal.forgotSince = false;
    return (this.sql.byExternalId.get(kind, externalId) as SessionRow | undefined)?.id;
  }

  /** Status and last activity (µs since epoch) of a session, from the head cache; undefined if unknown. */
  liveness(id: string): { status: Session['status']; last_event_at: number } | undefined {
    const head = this.heads.of(id);
    return head && { status: head.status, last_event_at: head.lastEventAt };
  }

  /** Sets a closed or interrupted session back to `live` (a client resumed it). */
  reopenSession(id: string): void {
    this.writes.batch(() => {
      this.write([{ op: 'reopen', session_id: id }]);
      this.heads.setStatus(id, 'live');
      this.emitSession(id);
    });
  }

  /**
   * Appends one event to a session's chain, indexes its text and adds `stats` deltas, durably and at once.
   * @throws Error when the session does not exist; StoreUnavailableError when the store refuses writes
   */
  append(sessionId: string, kind: string, payload: unknown, options: AppendOptions = {}): Appended {
    return this.writes.batch(() => {
      const op = this.heads.next(sessionId, kind, payload, options);
      this.write([op]);
      this.emit({ type: 'event', session_id: sessionId, seq: op.seq, ts: op.ts, kind });
      return { seq: op.seq, ts: op.ts };
    });
  }

  /**
   * Appends a request event and opens an in-flight record for its outcome, in one write: after this
   * returns, a crash leaves the request on disk and the outcome recoverable as `interrupted`. `partial`
   * builds the outcome's first partial payload from the request event's seq, so even an outcome that never
   * got further names its request. The request's `text` is indexed when the exchange is sealed, keeping
   * full-text work off the path to upstream.
   * @throws Error when the session does not exist or the partial cannot be serialised (nothing is written)
   */
  appendRequest(
    sessionId: string,
    kind: string,
    payload: unknown,
    outcomeKind: string,
    partial: (requestSeq: number) => unknown,
    options: AppendOptions = {},
  ): Appended {
    const { text, ...rest } = options;
    const head = this.heads.of(sessionId);
    if (!head) throw new Error(`cannot append to unknown session ${sessionId}`);
    const partialJson = JSON.stringify(partial(head.seq + 1)); // may throw: before the head moves
    return this.writes.batch(() => {
      const op = this.heads.next(sessionId, kind, payload, rest);
      op.inflight = { kind: outcomeKind, partial: partialJson, text: text ?? null };
      this.write([op]);
      this.emit({ type: 'event', session_id: sessionId, seq: op.seq, ts: op.ts, kind });
      return { seq: op.seq, ts: op.ts };
    });
  }

  /**
   * Checkpoints an in-flight exchange by what is new: `deltas` to its partial outcome (see
   * inflight-deltas.ts), written after every earlier checkpoint's — an array, or the JSON text of one as
   * JSON.stringify writes it (on one line). Nothing is written for no deltas.
   * @throws TypeError when a delta is not JSON (a BigInt, a cycle); Error when the write fails
   */
  appendInflightParts(
    sessionId: string,
    requestSeq: number,
    deltas: readonly InflightDelta[] | string,
  ): void {
    const json = typeof deltas === 'string' ? deltas : JSON.stringify(deltas);
    if (json === '[]') return;
    const op: StoreOp = {
      op: 'inflight_parts',
      session_id: sessionId,
      request_seq: requestSeq,
      ts: nowMicros(),
      deltas: json,
    };
    this.writes.batch(() => this.write([op]));
  }

  /**
   * Seals an in-flight exchange: appends its outcome event to the chain and drops the in-flight record.
   * `requestText`, when given, is indexed for the request instead of the text given to appendRequest (a
   * request read only after it was forwarded).
   */
  sealInflight(
    sessionId: string,
    requestSeq: number,
    kind: string,
    payload: unknown,
    options: AppendOptions & { requestText?: string } = {},
  ): Appended {
    const { requestText, ...rest } = options;
    return this.writes.batch(() => {
      const op = this.heads.next(sessionId, kind, payload, rest);
      const seal: Extract<StoreOp, { op: 'seal' }> = {
        op: 'seal',
        session_id: sessionId,
        request_seq: requestSeq,
      };
      if (requestText) seal.request_text = requestText;
      this.write([seal, op]);
      this.partials.forget(sessionId, requestSeq);
      this.emit({ type: 'event', session_id: sessionId, seq: op.seq, ts: op.ts, kind });
      this.emitSession(sessionId);
      return { seq: op.seq, ts: op.ts };
    });
  }

  /** In-flight exchanges of one session, oldest first, each with its partial outcome rebuilt. */
  inflight(sessionId: string): InflightExchange[] {
    this.ingest.settle();
    const rows = this.sql.inflightOf.all(sessionId) as InflightRow[];
    return this.partials.rebuild(
      sessionId,
      rows,
      (requestSeq, afterId) => this.sql.partsAfter.all(sessionId, requestSeq, afterId) as InflightPartRow[],
    );
  }

  /**
   * Appends `session.end` with `reason` and marks the session closed (or interrupted). It ends now, or at its
   * last event when `atLastEvent` (an interrupted session; a Claude session, which ends when it falls silent,
   * see activity.ts).
   */
  endSession(
    id: string,
    reason: string,
    status: 'closed' | 'interrupted' = 'closed',
    atLastEvent = status === 'interrupted',
  ): void {
    this.writes.batch(() => {
      const head = this.heads.of(id);
      if (head?.status !== 'live') return;
      const endedAt = atLastEvent ? head.lastEventAt : Math.max(nowMicros(), head.lastEventAt);
      const op = this.heads.next(id, 'session.end', { reason }, { ts: endedAt });
      this.write([op, { op: 'end', session_id: id, status, ended_at: endedAt }]);
      this.heads.setStatus(id, status);
      this.emit({ type: 'event', session_id: id, seq: op.seq, ts: op.ts, kind: 'session.end' });
      this.emitSession(id);
    });
  }

  /** Ends every live session with `reason` (used at clean shutdown); Claude sessions at their last event. */
  endAllLive(reason: string): void {
    this.ingest.settle();
    for (const row of this.sql.liveSessions.all() as SessionRow[])
      this.endSession(row.id, reason, 'closed', endsAtLastEvent(row.kind));
  }

  private write(ops: StoreOp[]): void {
    this.writes.write(ops);
  }

  private emitSession(id: string): void {
    this.writes.emitSession(id);
  }

  private emit(change: StoreChange): void {
    this.writes.emit(change);
  }
}
