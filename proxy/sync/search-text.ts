/**
 * The searchable text of a mirrored event, for the team server's full-text index: the same derivation as the
 * engine's own index (search/event-text.ts) — a Messages request's new user messages, a reply's content and
 * tool calls, who paused recording or changed the policy — except that a `pg.statement` is indexed by its
 * SQL directly (the server indexes events one by one, without the engine's per-session memory of SQL texts).
 * Shared with server/ through proxy/sync, like the protocol types.
 */
import { asRecord } from '../anthropic/message.js';
import { eventText } from '../search/event-text.js';

/** Longest text indexed per event (characters); PostgreSQL's tsvector refuses more than 1 MB of lexemes. */
export const MAX_SEARCH_TEXT = 100_000;

/**
 * The text to index for one event, or undefined when it has none. NUL characters (which PostgreSQL text
 * refuses) are dropped; the text is cut at {@link MAX_SEARCH_TEXT}.
 */
export function mirroredEventText(
  sessionId: string,
  seq: number,
  kind: string,
  payload: unknown,
): string | undefined {
  let text: string | undefined;
  if (kind === 'pg.statement') {
    const sql = asRecord(payload)?.sql;
    text = typeof sql === 'string' ? sql : undefined;
  } else if (kind !== 'pg.result') {
    text = eventText({ session_id: sessionId, seq, ts: 0, kind, payload, hash: '' });
  }
  if (!text) return undefined;
  const clean = text.includes('\u0000') ? text.replaceAll('\u0000', ' ') : text;
  return clean.length > MAX_SEARCH_TEXT ? clean.slice(0, MAX_SEARCH_TEXT) : clean;
}

/**
 * A piece of an event's text around the first matching word of a query, with the hits marked: the engine's
 * snippet (search/snippet.ts), shared so the server's search results read like the dashboard's.
 */
export { snippet } from '../search/snippet.js';
