import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db } from 'better-sqlite3';
import { ulid } from 'ulid';
import { canonicalJson } from '../common/canonical-json.js';
import { nowMicros } from '../common/time.js';
import { type ChainVerdict, chainHash, verifyChain } from './chain.js';
import { migrate } from './migrations.js';
import { addStats, type EventRow, prepareStatements, type SessionRow, toEvent, toSession } from './rows.js';
import { sessionListQuery } from './search.js';
import type {
  Identity,
  InflightExchange,
  RecordedEvent,
  Session,
  SessionFilter,
  SessionKind,
  SessionStats,
  StoreChange,
  UnansweredRule,
} from './types.js';

/** What a new session is created with. */
export interface NewSession {
  kind: SessionKind;
  target: string;
  client: string | null;
  identity: Identity;
  external_id: string | null;
}

/** Options for {@link Store.append}. */
export interface AppendOptions {
  /** Event time in µs since epoch; defaults to now. */
  ts?: number;
  /** Text to index for full-text search (prompts, replies, tool input, SQL). */
  text?: string;
  /** Numeric deltas added to the session's running `stats`. */
  stats?: SessionStats;
}

/** Where an appended event landed in its session's chain. */
export interface Appended {
  seq: number;
  ts: number;
  hash: string;
}

interface StoredEvent extends Appended {
  /** The event's rowid, linking the full-text index. */
  rowid: number;
}

/** What appending needs to know about a session; cached, since the engine is the only writer. */
interface Head {
  seq: number;
  hash: string;
  lastEventAt: number;
  stats: SessionStats;
  status: Session['status'];
}

/**
 * The local recording store: one SQLite file (better-sqlite3, WAL) holding sessions, their hash-chained
 * events, exchanges still in flight, and a full-text index.
 *
 * Every write is synchronous and committed before the call returns, so callers append *before* forwarding
 * bytes (DESIGN.md promise 1). With `synchronous = NORMAL` in WAL mode a committed write survives the
 * process being killed; an OS crash may lose the last transactions.
 *
 * One engine process writes; CLI commands may read concurrently (WAL readers never block the writer).
 */
export class Store {
  private readonly db: Db;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  /** Session heads by id. Dropped whole whenever a write fails, since a rollback may have undone it. */
  private readonly heads = new Map<string, Head>();
  /** Changes held back while a {@link Store.batch} transaction is open; sent after it commits. */
  private deferred: StoreChange[] | undefined;
  private readonly sql: ReturnType<typeof prepareStatements>;
  /** One reusable transaction runner (better-sqlite3 builds several wrappers per `transaction()` call). */
  private readonly inTransaction: (fn: () => unknown) => unknown;

  private constructor(db: Db) {
    this.db = db;
    this.sql = prepareStatements(db);
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
  }

  /**
   * Opens (creating if needed) the database at `path` and migrates it. `:memory:` works for tests.
   *
   * `GLASSBOX_SQLITE_BINDING`, when set, is the path of a better-sqlite3 `.node` file to load instead of the
   * one under node_modules: the desktop app sets it to the copy built for Electron's ABI (see main/README.md).
   * @throws Error when the file is not a SQLite database or was written by a newer schema.
   */
  static open(path: string): Store {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const nativeBinding = process.env.GLASSBOX_SQLITE_BINDING;
    const db = new Database(path, nativeBinding ? { nativeBinding } : {});
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return new Store(db);
  }

  /** Closes the database; further calls throw. Checkpoints the WAL into the main file. */
  close(): void {
    if (!this.db.open) return;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  /** Subscribes to changes (new sessions, status changes, appended events). Returns the unsubscribe function. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `fn` in one transaction (nested calls become savepoints). Change notifications raised inside are
   * sent only after the commit, and dropped if it rolls back, so subscribers never see unwritten events.
   * @throws whatever `fn` or the commit throws, after rolling back
   */
  batch(fn: () => void): void {
    if (this.deferred) {
      this.write(fn);
      return;
    }
    const changes: StoreChange[] = [];
    this.deferred = changes;
    try {
      this.write(fn);
    } finally {
      this.deferred = undefined;
    }
    for (const change of changes) this.emit(change);
  }

  /** Creates a `live` session and returns it. */
  createSession(init: NewSession, startedAt = nowMicros()): Session {
    const id = ulid(Math.floor(startedAt / 1000));
    this.sql.insertSession.run({
      id,
      kind: init.kind,
      target: init.target,
      client: init.client,
      identity: JSON.stringify(init.identity),
      external_id: init.external_id,
      started_at: startedAt,
      last_event_at: startedAt,
      head_hash: id,
    });
    this.heads.set(id, { seq: 0, hash: id, lastEventAt: startedAt, stats: {}, status: 'live' });
    const session: Session = {
      id,
      ...init,
      started_at: startedAt,
      ended_at: null,
      last_event_at: startedAt,
      status: 'live',
      stats: {},
      head_seq: 0,
      head_hash: id,
    };
    this.emit({ type: 'session', session });
    return session;
  }

  /** The newest session of `kind` whose `external_id` matches, if any. */
  findByExternalId(kind: SessionKind, externalId: string): Session | undefined {
    const row = this.sql.byExternalId.get(kind, externalId) as SessionRow | undefined;
    return row && toSession(row);
  }

  /** Status and last activity (µs since epoch) of a session, from the head cache; undefined if unknown. */
  liveness(id: string): { status: Session['status']; last_event_at: number } | undefined {
    const head = this.headOf(id);
    return head && { status: head.status, last_event_at: head.lastEventAt };
  }

  /** Sets a closed or interrupted session back to `live` (a client resumed it). */
  reopenSession(id: string): void {
    this.write(() => this.sql.reopen.run(id));
    const head = this.heads.get(id);
    if (head) head.status = 'live';
    this.emitSession(id);
  }

  /**
   * Appends one event to a session's chain, indexes its text and adds `stats` deltas, in one transaction.
   * @throws Error when the session does not exist.
   */
  append(sessionId: string, kind: string, payload: unknown, options: AppendOptions = {}): Appended {
    const appended = this.write(() => this.appendInTx(sessionId, kind, payload, options));
    this.emit({ type: 'event', session_id: sessionId, seq: appended.seq, ts: appended.ts, kind });
    return appended;
  }

  /**
   * Appends a request event and opens an in-flight record for its outcome, in one transaction: after this
   * returns, a crash leaves the request on disk and the outcome recoverable as `interrupted`. The request's
   * `text` is indexed when the exchange is sealed, keeping full-text work off the path to upstream.
   */
  appendRequest(
    sessionId: string,
    kind: string,
    payload: unknown,
    outcomeKind: string,
    partial: unknown,
    options: AppendOptions = {},
  ): Appended {
    const { text, ...rest } = options;
    const appended = this.write(() => {
      const event = this.appendInTx(sessionId, kind, payload, rest);
      this.sql.insertInflight.run(
        sessionId,
        event.seq,
        outcomeKind,
        event.ts,
        event.ts,
        JSON.stringify(partial),
        event.rowid,
        text ?? null,
      );
      return event;
    });
    this.emit({ type: 'event', session_id: sessionId, seq: appended.seq, ts: appended.ts, kind });
    return appended;
  }

  /** Replaces the partial outcome of an in-flight exchange (a checkpoint while a reply streams). */
  updateInflight(sessionId: string, requestSeq: number, partial: unknown): void {
    this.sql.updateInflight.run(JSON.stringify(partial), nowMicros(), sessionId, requestSeq);
  }

  /** Seals an in-flight exchange: appends its outcome event to the chain and drops the in-flight record. */
  sealInflight(
    sessionId: string,
    requestSeq: number,
    kind: string,
    payload: unknown,
    options: AppendOptions = {},
  ): Appended {
    const appended = this.write(() => {
      const request = this.sql.inflightText.get(sessionId, requestSeq) as
        | { request_event_id: number; request_text: string | null }
        | undefined;
      if (request?.request_text) this.sql.insertFts.run(request.request_event_id, request.request_text);
      this.sql.deleteInflight.run(sessionId, requestSeq);
      return this.appendInTx(sessionId, kind, payload, options);
    });
    this.emit({ type: 'event', session_id: sessionId, seq: appended.seq, ts: appended.ts, kind });
    this.emitSession(sessionId);
    return appended;
  }

  /** In-flight exchanges of one session, oldest first. */
  inflight(sessionId: string): InflightExchange[] {
    return (
      this.sql.inflightOf.all(sessionId) as Array<Omit<InflightExchange, 'partial'> & { partial: string }>
    ).map((row) => ({ ...row, partial: JSON.parse(row.partial) as unknown }));
  }

  /** Appends `session.end` with `reason` and marks the session closed (or interrupted). */
  endSession(id: string, reason: string, status: 'closed' | 'interrupted' = 'closed'): void {
    const head = this.headOf(id);
    if (head?.status !== 'live') return;
    const endedAt = status === 'interrupted' ? head.lastEventAt : Math.max(nowMicros(), head.lastEventAt);
    const appended = this.write(() => {
      const event = this.appendInTx(id, 'session.end', { reason }, { ts: endedAt });
      this.sql.end.run(status, endedAt, id);
      return event;
    });
    head.status = status;
    this.emit({ type: 'event', session_id: id, seq: appended.seq, ts: appended.ts, kind: 'session.end' });
    this.emitSession(id);
  }

  /** Sessions still marked live (at start-up: the ones a dead engine left behind). */
  liveSessionIds(): string[] {
    return (this.sql.liveSessions.all() as SessionRow[]).map((row) => row.id);
  }

  /** Seqs of `rule.request` events in a session that no `rule.outcome` event names in its `rule.ref` field. */
  unansweredRequests(sessionId: string, rule: UnansweredRule): number[] {
    return this.sql.unanswered.all({ id: sessionId, ...rule }) as number[];
  }

  /** Ends every live session with `reason` (used at clean shutdown). */
  endAllLive(reason: string): void {
    for (const row of this.sql.liveSessions.all() as SessionRow[]) this.endSession(row.id, reason);
  }

  /** One session by id, or undefined. */
  getSession(id: string): Session | undefined {
    const row = this.sql.session.get(id) as SessionRow | undefined;
    return row && toSession(row);
  }

  /**
   * Resolves what a user typed: a full id, a unique id prefix (at least 6 characters), or an external id.
   * @returns the session, `undefined` when nothing matches, or the list of candidates when ambiguous
   */
  resolveSession(idOrPrefix: string): Session | undefined | Session[] {
    const exact = this.getSession(idOrPrefix.toUpperCase()) ?? this.getSession(idOrPrefix);
    if (exact) return exact;
    const external = (this.sql.anyExternal.all(idOrPrefix) as SessionRow[]).map(toSession);
    if (external.length === 1) return external[0];
    if (idOrPrefix.length < 6) return external.length > 1 ? external : undefined;
    const byPrefix = (this.sql.byPrefix.all(`${idOrPrefix.toUpperCase()}%`) as SessionRow[]).map(toSession);
    if (byPrefix.length === 1) return byPrefix[0];
    return byPrefix.length > 1 ? byPrefix : undefined;
  }

  /** Sessions newest first, filtered. `limit` defaults to 50 and is capped at 10,000. */
  listSessions(filter: SessionFilter = {}): Session[] {
    const { sql, params } = sessionListQuery(filter);
    return (this.db.prepare(sql).all(params) as SessionRow[]).map(toSession);
  }

  /** Events of a session with `seq > after`, in order, at most `limit` (default 500, max 5,000). */
  listEvents(sessionId: string, after = 0, limit = 500): RecordedEvent[] {
    const capped = Math.min(Math.max(limit, 1), 5_000);
    return (this.sql.events.all(sessionId, after, capped) as EventRow[]).map(toEvent);
  }

  /** Iterates over all events of a session in order without loading them at once. */
  *iterateEvents(sessionId: string): Generator<RecordedEvent> {
    for (const row of this.sql.allEvents.iterate(sessionId) as Iterable<EventRow>) yield toEvent(row);
  }

  /** Recomputes a session's hash chain against the stored hashes and head. */
  verifySession(sessionId: string): ChainVerdict {
    const session = this.getSession(sessionId);
    if (!session) throw new Error(`no session ${sessionId}`);
    return verifyChain(sessionId, this.sql.allEvents.iterate(sessionId) as Iterable<EventRow>, {
      seq: session.head_seq,
      hash: session.head_hash,
    });
  }

  /** Ids of all sessions, oldest first. */
  allSessionIds(): string[] {
    return (this.sql.allIds.all() as Array<{ id: string }>).map((row) => row.id);
  }

  /**
   * Runs `fn` in a transaction (a savepoint when nested). If anything throws, the head cache is dropped —
   * a rollback may have undone head changes it holds — and the error is rethrown.
   */
  private write<T>(fn: () => T): T {
    // Inside a batch the enclosing transaction already makes the write atomic with its batch, and a failure
    // rolls the whole batch back: no savepoint per write.
    if (this.db.inTransaction) return fn();
    try {
      return this.inTransaction(fn) as T;
    } catch (error) {
      this.heads.clear();
      throw error;
    }
  }

  private headOf(sessionId: string): Head | undefined {
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

  private appendInTx(sessionId: string, kind: string, payload: unknown, options: AppendOptions): StoredEvent {
    const head = this.headOf(sessionId);
    if (!head) throw new Error(`cannot append to unknown session ${sessionId}`);
    const seq = head.seq + 1;
    // Events of a session are strictly ordered in time as well as in seq.
    const ts = Math.max(options.ts ?? nowMicros(), head.lastEventAt);
    const payloadJson = canonicalJson(payload);
    const hash = chainHash(head.hash, seq, ts, kind, payloadJson);
    const { lastInsertRowid } = this.sql.insertEvent.run(sessionId, seq, ts, kind, payloadJson, hash);
    if (options.stats) addStats(head.stats, options.stats);
    this.sql.advanceHead.run(seq, hash, ts, JSON.stringify(head.stats), sessionId);
    if (options.text) this.sql.insertFts.run(lastInsertRowid, options.text);
    head.seq = seq;
    head.hash = hash;
    head.lastEventAt = ts;
    return { seq, ts, hash, rowid: Number(lastInsertRowid) };
  }

  private emitSession(id: string): void {
    if (this.listeners.size === 0) return;
    const session = this.getSession(id);
    if (session) this.emit({ type: 'session', session });
  }

  private emit(change: StoreChange): void {
    if (this.deferred) {
      this.deferred.push(change);
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A subscriber's failure must never affect recording.
      }
    }
  }
}
