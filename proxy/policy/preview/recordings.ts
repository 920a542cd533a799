/**
 * "Try on recordings" (issue 16, point 7): what a draft policy would mask in the last recorded sessions that
 * the policy in force leaves alone. Stored payloads are already masked by the policy in force when they were
 * recorded, so a value the current policy masks is a `[MASKED:…]` there; what the draft finds beyond the
 * current policy's findings is what applying it would mask additionally from now on, and a `[MASKED:<id>]`
 * whose detector the draft turns off is a value it would no longer mask. Examples are shown
 * masked — by the draft and by the current policy together — so the answer holds nothing that is not
 * already in the store.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../../store/store.js';
import type { RecordedEvent } from '../../store/types.js';
import type { CompiledPolicy } from '../compile.js';
import type { MaskSpan } from '../masking/types.js';
import { replacement } from './text.js';

/** One value the draft would mask additionally, shown in its context masked. */
export interface TryExample {
  session_id: string;
  seq: number;
  /** The event's kind (`http.request`, `pg.statement`, …). */
  kind: string;
  /** Up to ~60 characters either side, masked by both policies; `…` marks a cut. */
  text: string;
  /** Where the value's replacement is in `text` (UTF-16 code units). */
  start: number;
  end: number;
}

/** What a draft would do to the last sessions' stored texts, compared with the policy in force. */
export interface TryResult {
  /** Sessions, events and distinct texts looked at, and their size (UTF-16 code units). */
  sessions: number;
  events: number;
  texts: number;
  chars: number;
  /** True when the scan stopped at its size limit before the oldest of the sessions asked for. */
  truncated: boolean;
  /** Per detector, values the draft masks that the current policy does not: most first, with examples. */
  additional: Array<{ detector: string; count: number; examples: TryExample[] }>;
  /** Per detector, values the current policy masks that the draft would leave (never shown). */
  no_longer: Array<{ detector: string; count: number }>;
}

/** How much of the store a try looks at. */
export interface TryOptions {
  /** The newest sessions to look at (the engine's own policy and pause sessions are skipped). */
  sessions: number;
  /** Stop after this many characters of text (default 32 Mi). */
  maxChars?: number;
  /** Examples kept per detector (default 3). */
  examples?: number;
}

const CONTEXT = 60;
const PAGE = 500;
/** Characters scanned between yields to the event loop, so the proxies keep running during a try. */
const SLICE = 512 * 1024;

/**
 * Scans the string values of every event of the newest `options.sessions` sessions (object keys and texts
 * seen before — a conversation resent each turn — are skipped) with both policies' text maskers.
 * Asynchronous: yields to the event loop every half million characters.
 */
export async function tryOnRecordings(
  store: Store,
  current: CompiledPolicy,
  draft: CompiledPolicy,
  options: TryOptions,
): Promise<TryResult> {
  const maxChars = options.maxChars ?? 32 * 1024 * 1024;
  const keep = options.examples ?? 3;
  const result: TryResult = {
    sessions: 0,
    events: 0,
    texts: 0,
    chars: 0,
    truncated: false,
    additional: [],
    no_longer: [],
  };
  const additional = new Map<string, { count: number; examples: TryExample[] }>();
  const noLonger = new Map<string, number>();
  const seen = new Set<string>();
  let sinceYield = 0;
  for (const sessionId of newestSessions(store, options.sessions)) {
    result.sessions++;
    for (let after = 0; ; ) {
      const events = store.listEvents(sessionId, after, PAGE);
      for (const event of events) {
        result.events++;
        for (const text of strings(event.payload)) {
          if (text.length < 3) continue;
          const key = createHash('sha256').update(text).digest('base64');
          if (seen.has(key)) continue;
          seen.add(key);
          result.texts++;
          result.chars += text.length;
          sinceYield += text.length;
          compare(text, event, current, draft, keep, additional, noLonger);
          if (result.chars >= maxChars) {
            result.truncated = true;
            return finish(result, additional, noLonger);
          }
        }
        if (sinceYield >= SLICE) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (events.length < PAGE) break;
      after = events[events.length - 1]!.seq;
    }
  }
  return finish(result, additional, noLonger);
}

/** Ids of the newest `count` recorded sessions, leaving out the engine's own (target `glassbox`). */
function newestSessions(store: Store, count: number): string[] {
  const ids: string[] = [];
  let before: number | undefined;
  while (ids.length < count) {
    const page = store.listSessions({ limit: Math.max(count, 50), before });
    for (const session of page) {
      if (session.kind === 'http' && session.target === 'glassbox') continue;
      if (ids.length < count) ids.push(session.id);
    }
    if (page.length === 0) break;
    before = page[page.length - 1]!.started_at;
    if (page.length < Math.max(count, 50)) break;
  }
  return ids;
}

/** Every string value inside a JSON value (not object keys), depth first, without recursion. */
function* strings(value: unknown): Generator<string> {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') yield item;
    else if (Array.isArray(item)) for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    else if (typeof item === 'object' && item !== null) stack.push(...Object.values(item).reverse());
  }
}

function compare(
  text: string,
  event: RecordedEvent,
  current: CompiledPolicy,
  draft: CompiledPolicy,
  keep: number,
  additional: Map<string, { count: number; examples: TryExample[] }>,
  noLonger: Map<string, number>,
): void {
  countMarkersLeft(text, current, draft, noLonger);
  const byDraft = draft.text.mask(text).spans;
  const byCurrent = current.text.mask(text).spans;
  if (byDraft.length === 0 && byCurrent.length === 0) return;
  const overlaps = (span: MaskSpan, others: MaskSpan[]) =>
    others.some((o) => o.start < span.end && span.start < o.end);
  for (const span of byCurrent) {
    if (!overlaps(span, byDraft)) noLonger.set(span.detector, (noLonger.get(span.detector) ?? 0) + 1);
  }
  const union: Array<{ span: MaskSpan; policy: CompiledPolicy }> = [
    ...byDraft.map((span) => ({ span, policy: draft })),
    ...byCurrent.filter((s) => !overlaps(s, byDraft)).map((span) => ({ span, policy: current })),
  ].sort((a, b) => a.span.start - b.span.start);
  for (const span of byDraft) {
    if (overlaps(span, byCurrent)) continue;
    const entry = additional.get(span.detector) ?? { count: 0, examples: [] };
    additional.set(span.detector, entry);
    entry.count++;
    if (entry.examples.length < keep) entry.examples.push(example(text, span, union, event));
  }
}

/** `[MASKED:<id>]`, as the `redact` action writes it (masking/actions.ts). */
const MARKER = /\[MASKED:([a-z][a-z0-9_.-]*)\]/g;

/**
 * Counts the `[MASKED:<id>]` markers in a stored text whose detector is on in the current policy and off (or
 * gone) in the draft: values recorded masked that the draft would let through from now on.
 */
function countMarkersLeft(
  text: string,
  current: CompiledPolicy,
  draft: CompiledPolicy,
  noLonger: Map<string, number>,
): void {
  if (!text.includes('[MASKED:')) return;
  const enabled = (policy: CompiledPolicy, id: string) =>
    policy.effective.detectors.some((d) => d.id === id && d.enabled);
  for (const [, id] of text.matchAll(MARKER)) {
    if (enabled(current, id!) && !enabled(draft, id!)) noLonger.set(id!, (noLonger.get(id!) ?? 0) + 1);
  }
}

/**
 * The span's context, every value either policy finds in it replaced; the window widens to take in whole
 * any value it would cut.
 */
function example(
  text: string,
  target: MaskSpan,
  union: Array<{ span: MaskSpan; policy: CompiledPolicy }>,
  event: RecordedEvent,
): TryExample {
  let from = Math.max(0, target.start - CONTEXT);
  let to = Math.min(text.length, target.end + CONTEXT);
  for (const { span } of union) {
    if (span.start < from && span.end > from) from = span.start;
    if (span.start < to && span.end > to) to = span.end;
  }
  let out = from > 0 ? '…' : '';
  let at = from;
  let start = 0;
  let end = 0;
  for (const { span, policy } of union) {
    if (span.end <= from || span.start >= to) continue;
    out += text.slice(at, span.start);
    if (span === target) start = out.length;
    out += replacement(policy, text, span);
    if (span === target) end = out.length;
    at = span.end;
  }
  out += text.slice(at, to) + (to < text.length ? '…' : '');
  return { session_id: event.session_id, seq: event.seq, kind: event.kind, text: out, start, end };
}

function finish(
  result: TryResult,
  additional: Map<string, { count: number; examples: TryExample[] }>,
  noLonger: Map<string, number>,
): TryResult {
  result.additional = [...additional]
    .map(([detector, { count, examples }]) => ({ detector, count, examples }))
    .sort((a, b) => b.count - a.count || a.detector.localeCompare(b.detector));
  result.no_longer = [...noLonger]
    .map(([detector, count]) => ({ detector, count }))
    .sort((a, b) => b.count - a.count || a.detector.localeCompare(b.detector));
  return result;
}
