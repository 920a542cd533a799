import type { Session } from '../../../proxy/api/types';

/** A session's status as shown: its stored status, or `idle` for a live Claude session quiet long enough. */
export type ShownStatus = Session['status'] | 'idle';

/**
 * What to show for a session at `nowUs` (µs since epoch): its status and the end of its duration (µs since
 * epoch). The engine decides when a session turns idle (`idle_at`: the quiet spell, the kinds it applies to
 * and in-flight exchanges are its business; see proxy/store/activity.ts, which the CLI uses). Ended: its
 * end; live and waiting (a Claude session with nothing in flight, `idle_at` set) or idle: its last event;
 * live and busy, or lasting until it ends (a PostgreSQL connection): now.
 */
export function shownActivity(session: Session, nowUs: number): { status: ShownStatus; end: number } {
  if (session.status !== 'live')
    return { status: session.status, end: session.ended_at ?? session.last_event_at };
  if (session.idle_at !== null)
    return { status: nowUs >= session.idle_at ? 'idle' : 'live', end: session.last_event_at };
  return { status: 'live', end: Math.max(nowUs, session.last_event_at) };
}

/**
 * What a session is, as a person reads it: `Claude`, `PostgreSQL`, `Pause` for the engine's record of a
 * recording pause (kind `http`, target `glassbox`, see proxy/policy/recording-switch.ts), `Policy` for its
 * record of a policy change (proxy/policy/policy-record.ts), else `HTTP`.
 */
export function kindLabel(session: Pick<Session, 'kind' | 'target' | 'client'>): string {
  if (session.kind === 'anthropic') return 'Claude';
  if (session.kind === 'postgres') return 'PostgreSQL';
  if (isPause(session)) return 'Pause';
  return isPolicyChange(session) ? 'Policy' : 'HTTP';
}

/** Whether a session is the engine's record of a policy change (a `policy.changed` event). */
export function isPolicyChange(session: Pick<Session, 'kind' | 'target' | 'client'>): boolean {
  return session.kind === 'http' && session.target === 'glassbox' && session.client === 'glassbox-policy';
}

/** Whether a session is the engine's record of a recording pause. */
export function isPause(session: Pick<Session, 'kind' | 'target' | 'client'>): boolean {
  return session.kind === 'http' && session.target === 'glassbox' && session.client === 'glassbox-control';
}
