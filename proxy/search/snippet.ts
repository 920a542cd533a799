/**
 * Where a full-text search matched: a short piece of the matching event's text around the first word found,
 * with the words' places marked, for a search's results (`glassbox sessions --search`, the dashboard).
 */
import type { Store } from '../store/store.js';
import type { RecordedEvent } from '../store/types.js';
import { matchedText } from './event-text.js';

/** A search hit in one session: the first matching event and a piece of its text. */
export interface SearchMatch {
  /** seq of the matching event. */
  seq: number;
  /** Its kind: `http.request` (what the user or a tool result said), `llm.turn` (a reply), `pg.result` (SQL). */
  kind: string;
  /** What matched, for people: `prompt`, `reply`, `SQL` or the event kind. */
  label: string;
  /** Where it stands as people count: `turn 3`, `statement 2`; null for other events (then show `seq`). */
  place: string | null;
  /** Up to ~160 characters of the event's text around the first hit, whitespace collapsed, `…` where cut. */
  text: string;
  /** [start, end) offsets (UTF-16 code units) in `text` of each word that matched. */
  hits: Array<[number, number]>;
}

/** Characters of a snippet, and how many of them come before the first hit. */
const WIDTH = 160;
const BEFORE = 50;

/** A word as the index's `unicode61` tokenizer folds it: lower case, diacritics removed. */
function fold(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Whether a token of the text matches the query (every word but the last whole, the last as a prefix). */
function matcher(query: string): (token: string) => boolean {
  const words = (query.match(/[\p{L}\p{N}\p{M}]+/gu) ?? []).map(fold);
  const whole = new Set(words.slice(0, -1));
  const prefix = words[words.length - 1];
  return (token) => {
    const folded = fold(token);
    return whole.has(folded) || (prefix !== undefined && folded.startsWith(prefix));
  };
}

/**
 * A piece of `text` around the first word matching `query` (as the index matches it: words split at anything
 * but letters, digits and marks, case and diacritics ignored, the last word a prefix), with every matching
 * word in it marked; the start of the text when no word is found in it.
 */
export function snippet(text: string, query: string): { text: string; hits: Array<[number, number]> } {
  const matches = matcher(query);
  let first = -1;
  for (const m of text.matchAll(/[\p{L}\p{N}\p{M}]+/gu)) {
    if (matches(m[0])) {
      first = m.index;
      break;
    }
  }
  let start = first < 0 ? 0 : Math.max(0, first - BEFORE);
  // Start at a word's beginning: move to the whitespace before it, unless that cuts too much.
  if (start > 0) {
    const space = text.lastIndexOf(' ', start);
    if (space >= 0 && start - space < 20) start = space + 1;
  }
  const end = Math.min(text.length, start + WIDTH);
  const piece = `${start > 0 ? '…' : ''}${text.slice(start, end).replace(/\s+/g, ' ').trim()}${end < text.length ? '…' : ''}`;
  const hits: Array<[number, number]> = [];
  for (const m of piece.matchAll(/[\p{L}\p{N}\p{M}]+/gu)) {
    if (matches(m[0])) hits.push([m.index, m.index + m[0].length]);
  }
  return { text: piece, hits };
}

const LABELS: Record<string, string> = {
  'http.request': 'prompt',
  'llm.turn': 'reply',
  'pg.result': 'SQL',
  'recording.paused': 'pause',
  'policy.changed': 'policy',
};

/**
 * Where the full-text query `text` matched in each of `sessionIds`: the first matching event and a snippet of
 * it, by session id (sessions without a match are left out).
 */
export function searchMatches(
  store: Store,
  sessionIds: readonly string[],
  text: string,
): Record<string, SearchMatch> {
  const found: Record<string, SearchMatch> = {};
  for (const [id, event] of store.firstMatches(sessionIds, text)) found[id] = matchOf(store, event, text);
  return found;
}

function matchOf(store: Store, event: RecordedEvent, query: string): SearchMatch {
  const piece = snippet(matchedText(store, event), query);
  const label = LABELS[event.kind] ?? event.kind;
  return { seq: event.seq, kind: event.kind, label, place: store.matchPlace(event), ...piece };
}
