/**
 * The engine side of mirroring as the rest of the engine sees it: the mirror's status for the control API
 * (`GET /api/team`, the `team` live message), `glassbox team status` and the dashboard's per-session badge,
 * and the source of bearer tokens the team clients use.
 */

/** How one session stands with the team server. */
export interface SessionMirrorState {
  session_id: string;
  /**
   * `mirrored`: the server acknowledged every event; `behind`: events wait to be sent (or are being sent);
   * `refused`: the server refused a batch for integrity (422) or ownership (403): never retried until the
   * session changes; `waiting`: retrying after an error (see `last_error`, `next_attempt_at`).
   */
  state: 'mirrored' | 'behind' | 'refused' | 'waiting';
  /** The last seq the server acknowledged (0: none). */
  acked_seq: number;
  /** The session's local head. */
  head_seq: number;
  /** head_seq − acked_seq. */
  behind: number;
  /** One line (never a token); null when the last attempt succeeded. */
  last_error: string | null;
  /** When the mirror tries this session again, ms since epoch; null when not waiting. */
  next_attempt_at: number | null;
}

/** The mirror as a whole (tray state, dashboard header, `glassbox team status`). */
export interface MirrorStatus {
  /** False when config.json has no `team` section (everything else is then empty). */
  configured: boolean;
  /** The team server URL, or null. */
  url: string | null;
  /**
   * `off` (not configured or `mirror: false`), `signed-out` (no verified sign-in: nothing can be sent),
   * `up-to-date`, `mirroring` (sending), `offline` (the server does not answer; retrying), `refused`
   * (at least one session refused; the others continue).
   */
  state: 'off' | 'signed-out' | 'up-to-date' | 'mirroring' | 'offline' | 'refused';
  /** Sessions with events not yet acknowledged. */
  sessions_behind: number;
  /** Events not yet acknowledged, over all sessions. */
  events_behind: number;
  /** Sessions refused by the server. */
  refused: number;
  /** Last batch the server accepted, ms since epoch; null before the first. */
  last_success_at: number | null;
  /** The last error (one line), or null. */
  last_error: string | null;
  /** Every session not fully mirrored (behind, waiting or refused); sessions not listed are mirrored. */
  sessions: SessionMirrorState[];
}

/** Where team clients (mirror, routed approvals, team policy) get the bearer token for the server. */
export interface BearerSource {
  /**
   * The token to send as `Authorization: Bearer …`, or undefined when nobody is verifiably signed in or the
   * token has expired (the identity component refreshes it in the background). Never logged.
   */
  bearer(): string | undefined;
}
