import type { ConversationItem } from '../claude/conversation';
import type { StatementItem } from '../postgres/statements';

/** Where time went: the model producing a reply, the client running tools between turns, the database. */
export type SegmentKind = 'model' | 'tool' | 'db';

/** A span of the time axis, µs since epoch. */
export interface Segment {
  kind: SegmentKind;
  start: number;
  end: number;
}

/** The replay's time axis: bounds, where the waiting was, and the moments something happens (sorted). */
export interface Axis {
  start: number;
  end: number;
  segments: Segment[];
  marks: number[];
}

/** An entry of a session view with when it starts and (if it has a duration) ends, µs since epoch. */
export interface Timed {
  ts: number;
  endTs: number | null;
}

/** Start and end of a conversation or statement entry. */
export function timeOf(item: ConversationItem | StatementItem): Timed {
  if (item.type === 'turn') return { ts: item.turn.ts, endTs: item.turn.endTs };
  if (item.type === 'statement') return { ts: item.statement.ts, endTs: item.statement.endTs };
  return { ts: item.event.ts, endTs: null };
}

/**
 * Builds the axis of a session's entries: model time per turn (request to end of reply), tool time between a
 * reply that stopped for `tool_use` and the next request, database time per statement. The axis ends at the
 * last thing that happened: a `session.end` (which the idle sweep may write half an hour after a Claude
 * session's last turn, or a client long after its last statement) neither extends it nor is a step.
 */
export function buildAxis(
  items: ReadonlyArray<ConversationItem | StatementItem>,
  sessionStart: number,
): Axis {
  const segments: Segment[] = [];
  const marks: number[] = [];
  let start = sessionStart;
  let end = sessionStart;
  let toolFrom: number | null = null;
  for (const item of items) {
    if (item.type === 'event' && item.event.kind === 'session.end') continue;
    const { ts, endTs } = timeOf(item);
    if (marks.length === 0) start = Math.min(start, ts);
    marks.push(ts);
    end = Math.max(end, ts, endTs ?? ts);
    if (item.type === 'turn') {
      if (toolFrom !== null && ts > toolFrom) segments.push({ kind: 'tool', start: toolFrom, end: ts });
      toolFrom = null;
      if (endTs !== null) {
        segments.push({ kind: 'model', start: ts, end: endTs });
        marks.push(endTs);
        if (item.turn.response?.stop_reason === 'tool_use') toolFrom = endTs;
      }
    } else if (item.type === 'statement' && endTs !== null) {
      segments.push({ kind: 'db', start: ts, end: endTs });
      if (endTs > ts) marks.push(endTs);
    }
  }
  marks.sort((a, b) => a - b);
  return { start, end, segments, marks };
}

/** Playback never waits longer than this (µs of session time) between two moments; the axis keeps real time. */
export const MAX_WAIT_US = 3_000_000;

/**
 * Advances the replay cursor by `elapsedMs` of wall time at `speed`×, shortening waits longer than
 * {@link MAX_WAIT_US} between marks. @returns the new cursor, at most `axis.end`
 */
export function advance(axis: Axis, cursor: number, elapsedMs: number, speed: number): number {
  let next = cursor + elapsedMs * 1000 * speed;
  const upcoming = firstAfter(axis.marks, cursor);
  if (upcoming !== undefined) {
    const previous = lastAtOrBefore(axis.marks, cursor) ?? axis.start;
    // In a long wait, jump ahead so that at most MAX_WAIT_US remain before the next mark.
    if (upcoming - previous > MAX_WAIT_US && upcoming - next > MAX_WAIT_US) next = upcoming - MAX_WAIT_US;
  }
  return Math.min(next, axis.end);
}

/** The first mark strictly after `t`, for stepping; undefined at the end. */
export function firstAfter(marks: readonly number[], t: number): number | undefined {
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (marks[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return marks[lo];
}

/** The last mark at or before `t`, for stepping back; undefined before the first. */
export function lastAtOrBefore(marks: readonly number[], t: number): number | undefined {
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (marks[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? marks[lo - 1] : undefined;
}

/** How many entries (sorted by start) have started by `cursor`. */
export function revealedCount(
  items: ReadonlyArray<ConversationItem | StatementItem>,
  cursor: number,
): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (timeOf(items[mid]!).ts <= cursor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
