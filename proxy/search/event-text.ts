/**
 * The text each kind of event is indexed by for full-text search, derived from its stored payload — the same
 * text the recorders give the store as they record (anthropic/text.ts for Messages requests and replies,
 * postgres/recorder.ts for SQL) — to rebuild the index of a database recorded with an older derivation, and
 * to show where a search matched.
 */
import { asRecord, type ContentBlock } from '../anthropic/message.js';
import { replySearchText, requestSearchText } from '../anthropic/text.js';
import type { Store } from '../store/store.js';
import type { RecordedEvent } from '../store/types.js';

/**
 * The version of the derivation below; raise it when a change should re-index what is stored (the engine
 * rebuilds the index at start when the database's is older). 1: a request's new user messages without
 * system notes and reminders, replies, and each session's distinct SQL.
 */
export const SEARCH_TEXT_VERSION = 1;

/** Event kinds the index may hold text for, and (pg.statement) those a session's indexer must see. */
export const INDEXED_KINDS: readonly string[] = ['http.request', 'llm.turn', 'pg.statement', 'pg.result'];

/** How many distinct SQL texts a session's indexer remembers before it starts afresh (as the recorder does). */
const SQL_MEMORY = 10_000;

/** Whether a recorded `http.request` payload is a POST to the Messages API. */
function isMessagesRequest(payload: Record<string, unknown> | undefined): boolean {
  const path = typeof payload?.path === 'string' ? payload.path.split('?')[0]! : '';
  return payload?.method === 'POST' && path.endsWith('/v1/messages');
}

/**
 * The search text of one event, given the SQL of the statement a `pg.result` answers: a Messages request's
 * new user messages, a reply's content, a result's SQL; undefined for every other event.
 */
export function eventText(event: RecordedEvent, statementSql?: string): string | undefined {
  const payload = asRecord(event.payload);
  if (event.kind === 'http.request')
    return isMessagesRequest(payload) ? requestSearchText(payload?.body) : undefined;
  if (event.kind === 'llm.turn')
    return replySearchText(asRecord(payload?.response)?.content as ContentBlock[] | undefined);
  if (event.kind === 'pg.result') return statementSql;
  return undefined;
}

/**
 * A fresh indexer for one session's events in seq order (see Store.rebuildSearchIndex): Messages requests
 * and replies by their text, and each distinct SQL text once, with the first result of a statement that ran
 * it, as postgres/recorder.ts indexes them.
 */
export function sessionIndexer(): (event: RecordedEvent) => string | undefined {
  const statements = new Map<number, string>();
  const seen = new Set<string>();
  return (event) => {
    const payload = asRecord(event.payload);
    if (event.kind === 'pg.statement') {
      if (typeof payload?.sql === 'string') statements.set(event.seq, payload.sql);
      return undefined;
    }
    if (event.kind !== 'pg.result') return eventText(event) || undefined;
    const seq = Number(payload?.statement_seq);
    const sql = statements.get(seq);
    statements.delete(seq);
    if (!sql || seen.has(sql)) return undefined;
    if (seen.size >= SQL_MEMORY) seen.clear();
    seen.add(sql);
    return sql;
  };
}

/**
 * Rebuilds the store's full-text index when it was built with an older derivation than
 * {@link SEARCH_TEXT_VERSION} (every database recorded before this one was). Run by the engine at start,
 * before it serves anything.
 * @returns the number of events indexed, or null when the index was current
 */
export function reindexIfOutdated(store: Store): number | null {
  return store.rebuildSearchIndex(SEARCH_TEXT_VERSION, INDEXED_KINDS, () => sessionIndexer());
}

/** The text a matched event was indexed by (a `pg.result`'s SQL is looked up in its statement). */
export function matchedText(store: Store, event: RecordedEvent): string {
  if (event.kind !== 'pg.result') return eventText(event) ?? '';
  const seq = Number(asRecord(event.payload)?.statement_seq);
  const statement = Number.isSafeInteger(seq) ? store.listEvents(event.session_id, seq - 1, 1)[0] : undefined;
  const sql = asRecord(statement?.payload)?.sql;
  return typeof sql === 'string' ? sql : '';
}
