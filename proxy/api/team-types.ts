/**
 * The control API's shapes for the team server (issue 19): the mirror's status and the approvals routed to this
 * person's groups, on their routes and on /api/live. Re-exported by types.ts with the rest of the API's shapes.
 */
import type { RoutedApproval } from '../sync/protocol.js';
import type { MirrorStatus } from '../sync/types.js';

/**
 * GET /api/team/approvals: pending approvals routed to the signed-in person's groups on the team server by
 * others (proxy/sync/protocol.ts RoutedApproval), newest first; empty without a team server or sign-in.
 */
export interface TeamApprovalsResponse {
  approvals: RoutedApproval[];
  /** µs since epoch. */
  now: number;
}

/** `team-approval` on /api/live: an approval routed to the person's groups arrived, or ended (the desktop notifies). */
export interface TeamApprovalMessage {
  type: 'team-approval';
  approval: RoutedApproval;
}

/**
 * GET /api/team (issue 19): how the mirror to the team server stands. `configured: false` (no `team` section
 * in config.json) means nothing to show; sessions not listed in `sessions` are fully mirrored.
 */
export type TeamResponse = MirrorStatus;

/**
 * The live `team` message: the whole {@link MirrorStatus} again whenever it changes (a batch acknowledged, a
 * session refused, the server gone or back), the same shape GET /api/team answers. The dashboard's badges and
 * the tray's "Team: …" line apply it as it comes.
 */
export interface TeamMessage {
  type: 'team';
  status: MirrorStatus;
}
