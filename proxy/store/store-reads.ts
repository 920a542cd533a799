import type { Database as Db } from 'better-sqlite3';
import { type ChainVerdict, verifyChain } from './chain.js';
import { type EventRow, prepareStatements, type SessionRow, toEvent, toSession } from './rows.js';
import { sessionListQuery } from './search.js';
import { type RebuildProgress, SearchIndex } from './search-index.js';
import type { RecordedEvent, Session, SessionFilter, UnansweredRule } from './types.js';

/**
 * The store's read queries (store.ts adds the writes): sessions by id, prefix or filter, their events, the
 * full-text index, the chain check, and what start-up recovery asks. Every read first waits for queued writes
 * ({@link StoreReads.settle}), so a process always reads its own writes.
 */
export abstract class StoreReads {
  protected readonly sql: ReturnType<typeof prepareStatements>;
  protected readonly search: SearchIndex;

  protected constructor(protected readonly db: Db) {
    this.sql = prepareStatements(db);
    this.search = new SearchIndex(db);
  }

  /** Waits until SQLite holds every write made so far (see Store.settle). */
  abstract settle(): void;

  /** Sessions still marked live (at start-up: the ones a dead engine left behind). */
  liveSessionIds(): string[] {
    this.settle();
    return (this.sql.liveSessions.all() as SessionRow[]).map((row) => row.id);
  }

  /** Seqs of `rule.request` events in a session that no `rule.outcome` event names in its `rule.ref` field. */
  unansweredRequests(sessionId: string, rule: UnansweredRule): number[] {
    this.settle();
    return this.sql.unanswered.all({ id: sessionId, ...rule }) as number[];
  }

  /**
   * Sessions that ended with a request still owed its outcome (for start-up recovery): an exchange still in
   * flight, or a running `stats[key]` above 0 for one of `awaiting` (see UnansweredRule.awaiting). Oldest first.
   */
  endedSessionsToSeal(awaiting: readonly string[]): string[] {
    this.settle();
    return this.db
      .prepare(`SELECT id FROM sessions WHERE status != 'live' AND (id IN (SELECT session_id FROM inflight)
        OR EXISTS (SELECT 1 FROM json_each(?) AS k WHERE json_extract(sessions.stats, '$.' || k.value) > 0))
        ORDER BY started_at, id`)
      .pluck()
      .all(JSON.stringify(awaiting)) as string[];
  }

  /** One session by id, or undefined. */
  getSession(id: string): Session | undefined {
    this.settle();
    const row = this.sql.session.get(id) as SessionRow | undefined;
    return row && toSession(row);
  }

  /**
   * Resolves what a user typed: a full id, an external id, or a unique id prefix (ULID characters, any
   * length). An external id wins over a prefix.
   * @returns the session, `undefined` when nothing matches, or up to 5 candidates when ambiguous
   */
  resolveSession(idOrPrefix: string): Session | undefined | Session[] {
    this.settle();
    const exact = this.getSession(idOrPrefix.toUpperCase()) ?? this.getSession(idOrPrefix);
    if (exact) return exact;
    const external = (this.sql.anyExternal.all(idOrPrefix) as SessionRow[]).map(toSession);
    if (external.length === 1) return external[0];
    if (external.length > 1) return external;
    // Crockford base32 only, so nothing the user types is a LIKE wildcard.
    if (!/^[0-9A-HJKMNP-TV-Z]+$/i.test(idOrPrefix)) return undefined;
    const byPrefix = (this.sql.byPrefix.all(`${idOrPrefix.toUpperCase()}%`) as SessionRow[]).map(toSession);
    if (byPrefix.length === 1) return byPrefix[0];
    return byPrefix.length > 1 ? byPrefix : undefined;
  }

  /** Sessions newest first, filtered. `limit` defaults to 50 and is capped at 10,000. */
  listSessions(filter: SessionFilter = {}): Session[] {
    const { sql, params } = sessionListQuery(filter);
    this.settle();
    return (this.db.prepare(sql).all(params) as SessionRow[]).map(toSession);
  }

  /** The first event of each of `sessionIds` matching the full-text query `text`, by session id. */
  firstMatches(sessionIds: readonly string[], text: string): Map<string, RecordedEvent> {
    this.settle();
    return this.search.firstMatches(sessionIds, text);
  }

  /** Where a search's matching event stands: `turn 3`, `statement 2`, or null (see SearchIndex.placeOf). */
  matchPlace(event: RecordedEvent): string | null {
    return this.search.placeOf(event);
  }

  /**
   * Starts rebuilding the full-text index when it was built with a text derivation older than `version`
   * (see {@link SearchIndex.beginRebuild}); only the engine, holding the lock, calls it, before it records.
   * @returns the rebuild still to run (its pages run on a thread of their own), or null
   */
  beginSearchRebuild(version: number): RebuildProgress | null {
    this.settle();
    return this.search.beginRebuild(version);
  }

  /** Events of a session with `seq > after`, in order, at most `limit` (default 500, max 5,000). */
  listEvents(sessionId: string, after = 0, limit = 500): RecordedEvent[] {
    const capped = Math.min(Math.max(limit, 1), 5_000);
    this.settle();
    return (this.sql.events.all(sessionId, after, capped) as EventRow[]).map(toEvent);
  }

  /** Iterates over all events of a session in order without loading them at once. */
  *iterateEvents(sessionId: string): Generator<RecordedEvent> {
    this.settle();
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
    this.settle();
    return (this.sql.allIds.all() as Array<{ id: string }>).map((row) => row.id);
  }
}
