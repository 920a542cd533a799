import type { Database as Db, Statement } from 'better-sqlite3';
import { type EventRow, toEvent } from './rows.js';
import { ftsQuery } from './search.js';
import type { RecordedEvent } from './types.js';

/** Events read per page while the index is rebuilt. */
const PAGE = 2_000;

/** Gives the text to index an event by, in the order of its session; one per session (it may keep state). */
export type SessionIndexer = (event: RecordedEvent) => string | undefined;

/**
 * The full-text index (`events_fts`, contentless: it keeps which events hold which words, never the text)
 * beyond what writes add to it: which events of some sessions match a query, and rebuilding it from the
 * stored events when the way their text is derived has changed (`search_state.version`).
 */
export class SearchIndex {
  private readonly firstMatch: Statement;
  private readonly page: Statement;

  constructor(private readonly db: Db) {
    this.firstMatch = db.prepare(`
      SELECT e.session_id, e.seq, e.ts, e.kind, e.payload, e.hash FROM events e JOIN (
        SELECT session_id, min(id) AS id FROM events
        WHERE session_id IN (SELECT value FROM json_each(@ids))
          AND id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH @match)
        GROUP BY session_id) m ON e.id = m.id`);
    this.page = db.prepare(`SELECT id, session_id, seq, ts, kind, payload, hash FROM events
      WHERE session_id = ? AND seq > ? AND kind IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?`);
  }

  /** The version of text derivation the index was built with (0 for databases from before versions). */
  version(): number {
    const row = this.db.prepare('SELECT version FROM search_state WHERE id = 1').get() as
      | { version: number }
      | undefined;
    return row?.version ?? 0;
  }

  /**
   * The first event (in storage order) of each of `sessionIds` that matches `text` (words ANDed, the last a
   * prefix; see {@link ftsQuery}), by session id; sessions without a match are left out.
   */
  firstMatches(sessionIds: readonly string[], text: string): Map<string, RecordedEvent> {
    const match = ftsQuery(text);
    const found = new Map<string, RecordedEvent>();
    if (!match || sessionIds.length === 0) return found;
    const rows = this.firstMatch.all({ ids: JSON.stringify(sessionIds), match }) as EventRow[];
    for (const row of rows) found.set(row.session_id, toEvent(row));
    return found;
  }

  /**
   * Empties the index and indexes every stored event of `kinds` again, session by session in seq order, by the
   * text `indexerFor` gives, then records `version`. Runs in transactions of a page of events each: a process
   * that dies half-way leaves the old version recorded, and the next rebuild starts over.
   * @returns the number of events indexed
   */
  rebuild(
    version: number,
    kinds: readonly string[],
    indexerFor: (sessionId: string) => SessionIndexer,
  ): number {
    const insert = this.db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)');
    const sessions = this.db
      .prepare('SELECT id FROM sessions ORDER BY started_at, id')
      .pluck()
      .all() as string[];
    const kindList = JSON.stringify(kinds);
    let indexed = 0;
    this.db.exec("INSERT INTO events_fts (events_fts) VALUES ('delete-all')");
    for (const sessionId of sessions) {
      const indexer = indexerFor(sessionId);
      let after = 0;
      for (;;) {
        const rows = this.page.all(sessionId, after, kindList, PAGE) as Array<EventRow & { id: number }>;
        if (rows.length === 0) break;
        this.db.transaction(() => {
          for (const { id, ...row } of rows) {
            const text = indexer(toEvent(row));
            if (text) {
              insert.run(id, text);
              indexed++;
            }
          }
        })();
        after = rows[rows.length - 1]!.seq;
      }
    }
    this.db.prepare('UPDATE search_state SET version = ? WHERE id = 1').run(version);
    return indexed;
  }
}
