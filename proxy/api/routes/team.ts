/**
 * The team mirror's status on the control API (issue 19): `GET /api/team` answers the mirror's
 * {@link MirrorStatus} (proxy/sync/types.ts), read by `glassbox team status`, the dashboard's per-session badge
 * and the tray; its changes go to /api/live as `{type: 'team', status}` (at most one a second). The server runs
 * its guards (Host, Origin, bearer token) first. No answer holds a token.
 */
import type { MirrorStatus } from '../../sync/types.js';

/** The path {@link teamRoute} answers. */
export const TEAM_PATH = '/api/team';

/** What the control API needs of the mirror (proxy/sync/mirror.ts Mirror). */
export interface TeamStatusSource {
  /** The status now. */
  status(): MirrorStatus;
  /** Calls `listener` when the status changes (throttled by the mirror); returns the unsubscribe. */
  subscribe(listener: (status: MirrorStatus) => void): () => void;
}

export type { TeamMessage } from '../types.js';

/** `GET /api/team`: the status (200). */
export function teamRoute(source: TeamStatusSource): { json: MirrorStatus } {
  return { json: source.status() };
}
