/**
 * When a session is shown as idle and when it is taken to have ended. A Claude session has no connection
 * whose close would end it: a client sends requests and may simply stop. It stays `live` in the store until
 * the idle sweep (30 minutes) or a shutdown closes it; meanwhile it is *shown* as idle once it has been quiet
 * for {@link IDLE_AFTER_US} with nothing in flight, and its duration then runs to its last event, as it does
 * once closed. PostgreSQL sessions (a connection) and recording pauses (a gap that lasts until resumed) are
 * never idle: they last until they end.
 */
import type { Session, SessionKind, SessionStatus } from './types.js';

/** How long a Claude session may be quiet before it is shown as idle: 2 minutes, in µs. */
export const IDLE_AFTER_US = 2 * 60 * 1_000_000;

/**
 * Whether sessions of `kind` end at their last event (nothing marks their end but silence) rather than
 * when they are closed. True for Claude (`anthropic`) sessions only.
 */
export function endsAtLastEvent(kind: SessionKind): boolean {
  return kind === 'anthropic';
}

/**
 * When (µs since epoch) a session will be shown as idle if nothing more happens: its last event plus
 * {@link IDLE_AFTER_US}. Null when it never will: not live, not a Claude session, or `busy` (an exchange of
 * it is still in flight, e.g. a long reply streaming).
 */
export function idleAt(
  session: Pick<Session, 'kind' | 'status' | 'last_event_at'>,
  busy: boolean,
): number | null {
  if (session.status !== 'live' || busy || !endsAtLastEvent(session.kind)) return null;
  return session.last_event_at + IDLE_AFTER_US;
}

/** A session's status as shown to people: its stored status, or `idle` for a live one quiet long enough. */
export type ShownStatus = SessionStatus | 'idle';

/**
 * What to show for a session at `nowUs` (µs since epoch): its status (`idle` once `idle_at` has passed) and
 * the end of its duration, µs since epoch — its end once ended; for a live session that may turn idle (a
 * Claude session with nothing in flight: `idle_at` set) its last event, so 230 ms of work does not read as
 * minutes while it waits for the next request; for one that is busy or lasts until it ends (a reply
 * streaming, a PostgreSQL connection), now.
 */
export function shownActivity(
  session: Pick<Session, 'status' | 'idle_at' | 'last_event_at' | 'ended_at'>,
  nowUs: number,
): { status: ShownStatus; end: number } {
  if (session.status !== 'live')
    return { status: session.status, end: session.ended_at ?? session.last_event_at };
  if (session.idle_at !== null)
    return { status: nowUs >= session.idle_at ? 'idle' : 'live', end: session.last_event_at };
  return { status: 'live', end: Math.max(nowUs, session.last_event_at) };
}
