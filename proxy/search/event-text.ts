/**
 * The text each kind of event is indexed by for full-text search, derived from its stored payload — the same
 * text the recorders give the store as they record (anthropic/text.ts for Messages requests and replies,
 * postgres/recorder.ts for SQL) — to re-index a database recorded with an older derivation, and to show
 * where a search matched. A change to what a recorder indexes (or a new kind of event it indexes) belongs here
 * too: a rebuild empties the index and re-indexes only what this module derives.
 */
import { asRecord, type ContentBlock } from '../anthropic/message.js';
import { replySearchText, requestSearchText } from '../anthropic/text.js';
import { policyChangeText } from '../policy/policy-record.js';
import type { EventIndexer } from '../store/search-index.js';
import type { Store } from '../store/store.js';
import type { RecordedEvent } from '../store/types.js';

/**
 * The version of the derivation below; raise it when a change should re-index what is stored (the engine
 * re-indexes in the background when the database's is older: search/reindex-thread.ts). 1: a request's new
 * user messages without system notes and reminders, replies, and each session's distinct SQL.
 */
export const SEARCH_TEXT_VERSION = 1;

/** Event kinds the index may hold text for, and (pg.statement) those a session's indexer must see. */
export const INDEXED_KINDS: readonly string[] = [
  'http.request',
  'llm.turn',
  'pg.statement',
  'pg.result',
  'recording.paused',
  'policy.changed',
];

/** Whether a recorded `http.request` payload is a POST to the Messages API. */
function isMessagesRequest(payload: Record<string, unknown> | undefined): boolean {
  const path = typeof payload?.path === 'string' ? payload.path.split('?')[0]! : '';
  return payload?.method === 'POST' && path.endsWith('/v1/messages');
}

/**
 * The search text of one event, given the SQL of the statement a `pg.result` answers: a Messages request's
 * new user messages, a reply's content, a result's SQL, who paused recording (policy/recording-switch.ts),
 * who changed the policy and what (policy/policy-record.ts); undefined for every other event.
 */
export function eventText(event: RecordedEvent, statementSql?: string): string | undefined {
  const payload = asRecord(event.payload);
  if (event.kind === 'recording.paused')
    return `recording paused by ${String(payload?.by ?? '')} via ${String(payload?.via ?? '')}`;
  if (event.kind === 'policy.changed') return policyChangeText(payload);
  if (event.kind === 'http.request')
    return isMessagesRequest(payload) ? requestSearchText(payload?.body) : undefined;
  if (event.kind === 'llm.turn')
    return replySearchText(asRecord(payload?.response)?.content as ContentBlock[] | undefined);
  if (event.kind === 'pg.result') return statementSql;
  return undefined;
}

/** How many distinct SQL texts the indexer remembers per session before it starts afresh (as the recorder). */
const SQL_MEMORY = 10_000;

/**
 * An indexer for a rebuild (store/search-index.ts, rebuildPage), given events in storage order: Messages
 * requests and replies by their text, and each distinct SQL text of a session once, with the first result of
 * a statement that ran it, as postgres/recorder.ts indexes them.
 */
export function rebuildIndexer(): EventIndexer {
  /** Per PostgreSQL session: SQL of statements awaiting their result, and the SQL texts indexed. */
  const sessions = new Map<string, { statements: Map<number, string>; seen: Set<string> }>();
  const stateOf = (id: string) => {
    const known = sessions.get(id);
    if (known) return known;
    const state = { statements: new Map<number, string>(), seen: new Set<string>() };
    sessions.set(id, state);
    return state;
  };
  return (event) => {
    const payload = asRecord(event.payload);
    if (event.kind === 'pg.statement') {
      if (typeof payload?.sql === 'string') stateOf(event.session_id).statements.set(event.seq, payload.sql);
      return undefined;
    }
    if (event.kind !== 'pg.result') return eventText(event) || undefined;
    const { statements, seen } = stateOf(event.session_id);
    const seq = Number(payload?.statement_seq);
    const sql = statements.get(seq);
    statements.delete(seq);
    if (!sql || seen.has(sql)) return undefined;
    if (seen.size >= SQL_MEMORY) seen.clear();
    seen.add(sql);
    return sql;
  };
}

/** The text a matched event was indexed by (a `pg.result`'s SQL is looked up in its statement). */
export function matchedText(store: Store, event: RecordedEvent): string {
  if (event.kind !== 'pg.result') return eventText(event) ?? '';
  const seq = Number(asRecord(event.payload)?.statement_seq);
  const statement = Number.isSafeInteger(seq) ? store.listEvents(event.session_id, seq - 1, 1)[0] : undefined;
  const sql = asRecord(statement?.payload)?.sql;
  return typeof sql === 'string' ? sql : '';
}
