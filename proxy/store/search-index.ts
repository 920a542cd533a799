import type { Database as Db, Statement } from 'better-sqlite3';
import { type EventRow, toEvent } from './rows.js';
import { ftsQuery } from './search.js';
import type { RecordedEvent } from './types.js';

/** Gives the text to index an event by, events given in storage order (it may keep state per session). */
export type EventIndexer = (event: RecordedEvent) => string | undefined;

/** A full-text index rebuild under way: events with `rebuiltTo < id <= rebuildTo` are still to re-index. */
export interface RebuildProgress {
  rebuildTo: number;
  rebuiltTo: number;
}

/**
 * The full-text index (`events_fts`, contentless: it keeps which events hold which words, never the text)
 * beyond what writes add to it: which events of some sessions match a query, and its rebuild when the way
 * events' text is derived has changed (`search_state`).
 *
 * A rebuild empties the index and notes the newest event then stored ({@link beginRebuild}, at start-up,
 * before anything is recorded); events recorded after that are indexed as they are written, and the ones
 * before it are indexed again page by page ({@link rebuildPage}, on a thread of its own), each page's progress
 * committed with it, so a rebuild cut short by a crash goes on where it stopped.
 */
export class SearchIndex {
  private readonly firstMatch: Statement;
  private readonly turnNumber: Statement;
  private readonly statementNumber: Statement;

  constructor(private readonly db: Db) {
    // A turn is a Messages request (as stats.turns counts them); a statement a pg.statement.
    this.turnNumber = db
      .prepare(`SELECT count(*) FROM events WHERE session_id = ? AND seq <= ? AND kind = 'http.request'
        AND json_extract(payload, '$.path') LIKE '/v1/messages%' AND json_extract(payload, '$.path') NOT LIKE '/v1/messages/%'`)
      .pluck();
    this.statementNumber = db
      .prepare(`SELECT count(*) FROM events WHERE session_id = ? AND seq <= ? AND kind = 'pg.statement'`)
      .pluck();
    this.firstMatch = db.prepare(`
      SELECT e.session_id, e.seq, e.ts, e.kind, e.payload, e.hash FROM events e JOIN (
        SELECT session_id, min(id) AS id FROM events
        WHERE session_id IN (SELECT value FROM json_each(@ids))
          AND id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH @match)
        GROUP BY session_id) m ON e.id = m.id`);
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
   * Where a matching event stands as people count: `turn 3` for a Messages request or its `llm.turn`
   * (numbered as the conversation view and `stats.turns` count them), `statement 2` for a `pg.result`; null
   * for other events.
   */
  placeOf(event: RecordedEvent): string | null {
    const payload = (event.payload ?? {}) as { request_seq?: unknown; statement_seq?: unknown };
    const at = (seq: unknown, statement: Statement, noun: string) =>
      typeof seq === 'number' ? `${noun} ${statement.get(event.session_id, seq) as number}` : null;
    if (event.kind === 'http.request') return at(event.seq, this.turnNumber, 'turn');
    if (event.kind === 'llm.turn') return at(payload.request_seq, this.turnNumber, 'turn');
    if (event.kind === 'pg.result') return at(payload.statement_seq, this.statementNumber, 'statement');
    return null;
  }

  /**
   * Starts a rebuild when the index was built with a text derivation older than `version`: empties it and
   * records `version` with the newest event id as the rebuild's end, in one transaction.
   * @returns the rebuild still to run (just started, or left unfinished by an earlier process), or null
   */
  beginRebuild(version: number): RebuildProgress | null {
    this.db.transaction(() => {
      const state = this.db.prepare('SELECT version FROM search_state WHERE id = 1').get() as {
        version: number;
      };
      if (state.version >= version) return;
      const newest = (this.db.prepare('SELECT max(id) FROM events').pluck().get() as number | null) ?? 0;
      this.db.exec("INSERT INTO events_fts (events_fts) VALUES ('delete-all')");
      this.db
        .prepare('UPDATE search_state SET version = ?, rebuild_to = ?, rebuilt_to = 0 WHERE id = 1')
        .run(version, newest > 0 ? newest : null);
    })();
    return rebuildProgress(this.db);
  }
}

/** The rebuild under way in the database `db`, or null. */
export function rebuildProgress(db: Db): RebuildProgress | null {
  const row = db.prepare('SELECT rebuild_to, rebuilt_to FROM search_state WHERE id = 1').get() as
    | { rebuild_to: number | null; rebuilt_to: number | null }
    | undefined;
  return row?.rebuild_to ? { rebuildTo: row.rebuild_to, rebuiltTo: row.rebuilt_to ?? 0 } : null;
}

/**
 * One page of a rebuild on the connection `db`: reads the next `pageSize` events of `kinds` it has to
 * re-index (in storage order), derives their text with `indexer` outside any transaction, then indexes them
 * and records the progress in one short write transaction; ends the rebuild when none are left.
 * @returns how many events it indexed, and whether the rebuild is over
 */
export function rebuildPage(
  db: Db,
  kinds: readonly string[],
  indexer: EventIndexer,
  pageSize: number,
): { indexed: number; done: boolean } {
  const progress = rebuildProgress(db);
  if (!progress) return { indexed: 0, done: true };
  const rows = db
    .prepare(`SELECT id, session_id, seq, ts, kind, payload, hash FROM events
      WHERE id > ? AND id <= ? AND kind IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?`)
    .all(progress.rebuiltTo, progress.rebuildTo, JSON.stringify(kinds), pageSize) as Array<
    EventRow & { id: number }
  >;
  const texts: Array<[number, string]> = [];
  for (const { id, ...row } of rows) {
    const text = indexer(toEvent(row));
    if (text) texts.push([id, text]);
  }
  const done = rows.length < pageSize;
  const insert = db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)');
  db.transaction(() => {
    for (const [id, text] of texts) insert.run(id, text);
    if (done) db.prepare('UPDATE search_state SET rebuild_to = NULL, rebuilt_to = NULL WHERE id = 1').run();
    else db.prepare('UPDATE search_state SET rebuilt_to = ? WHERE id = 1').run(rows[rows.length - 1]!.id);
  })();
  return { indexed: texts.length, done };
}
