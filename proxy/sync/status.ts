/**
 * The mirror's status (proxy/sync/types.ts MirrorStatus) from the sessions not yet fully mirrored and what
 * the mirror knows about the server: shared by the running mirror (GET /api/team, the `team` live message) and
 * `glassbox team status` reading the database while no engine runs.
 */
import type { PendingSession } from './state.js';
import type { MirrorStatus, SessionMirrorState } from './types.js';

/** What the mirror as a whole knows, besides the sessions. Times in ms since epoch. */
export interface MirrorFacts {
  configured: boolean;
  url: string | null;
  /** False when not configured or `mirror: false`. */
  enabled: boolean;
  /** No token to send (nobody verifiably signed in, or the server refused the one there is). */
  signedOut: boolean;
  /** The server does not answer (network errors or 5xx since the last success). */
  offline: boolean;
  /** A batch is being sent now. */
  sending: boolean;
  lastSuccessAt: number | null;
  lastError: string | null;
}

/** How one pending session stands. `now` in ms since epoch. */
export function sessionState(pending: PendingSession, now: number): SessionMirrorState {
  const sync = pending.sync;
  const acked = sync?.acked_seq ?? 0;
  const refused = sync?.refused != null && pending.head_seq <= sync.refused;
  const waiting = !refused && sync?.next_attempt_at != null && sync.next_attempt_at > now;
  return {
    session_id: pending.id,
    state: refused ? 'refused' : waiting ? 'waiting' : 'behind',
    acked_seq: acked,
    head_seq: pending.head_seq,
    behind: Math.max(0, pending.head_seq - acked),
    last_error: sync?.last_error ?? null,
    next_attempt_at: waiting ? sync!.next_attempt_at : null,
  };
}

const ORDER: Record<SessionMirrorState['state'], number> = { refused: 0, waiting: 1, behind: 2, mirrored: 3 };

/** The whole status; sessions listed refused first, then waiting, then behind (most behind first). */
export function mirrorStatus(
  facts: MirrorFacts,
  pending: readonly PendingSession[],
  now: number,
): MirrorStatus {
  if (!facts.configured || !facts.enabled) {
    return {
      configured: facts.configured,
      url: facts.url,
      state: 'off',
      sessions_behind: 0,
      events_behind: 0,
      refused: 0,
      last_success_at: facts.lastSuccessAt,
      last_error: null,
      sessions: [],
    };
  }
  const sessions = pending
    .map((session) => sessionState(session, now))
    .filter((session) => session.behind > 0 || session.state === 'refused')
    .sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.behind - a.behind);
  const refused = sessions.filter((session) => session.state === 'refused').length;
  const behind = sessions.filter((session) => session.state !== 'refused');
  const state: MirrorStatus['state'] = facts.signedOut
    ? 'signed-out'
    : facts.offline
      ? 'offline'
      : refused > 0
        ? 'refused'
        : behind.length > 0 || facts.sending
          ? 'mirroring'
          : 'up-to-date';
  return {
    configured: true,
    url: facts.url,
    state,
    sessions_behind: behind.length,
    events_behind: behind.reduce((sum, session) => sum + session.behind, 0),
    refused,
    last_success_at: facts.lastSuccessAt,
    last_error: facts.lastError,
    sessions,
  };
}
