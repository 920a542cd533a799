/**
 * `GET /v1/live` (WebSocket): live notices for what the connected person may see — their own sessions'
 * progress (everyone's for auditors), integrity alerts (auditors), team policy changes, and approvals routed
 * to their groups or asked by them. The token is checked at the upgrade (a browser, which cannot set
 * Authorization on a WebSocket, is authenticated by its dashboard cookie in principalOf); the socket closes
 * with 4401 when that token expires, so a client re-connects with a fresh one.
 */
import type { WebSocket } from 'ws';
import type { LiveMessage } from '../../proxy/sync/protocol.js';
import { isRequester, readApproval } from '../approvals/store.js';
import { canApprove, isAuditor, type Principal } from '../auth/principal.js';
import { type App, principalOf, type RouteContext } from '../http/context.js';
import type { LiveNotice } from '../live/hub.js';

/** Registers `/v1/live`. */
export function liveRoutes(context: RouteContext) {
  return async (app: App) => {
    app.get('/v1/live', { websocket: true }, (socket, request) => {
      principalOf(request, context.verifier).then(
        (principal) => follow(socket, principal, context),
        () => socket.close(4401, 'sign in: the token is missing, invalid or expired'),
      );
    });
  };
}

function follow(socket: WebSocket, principal: Principal, context: RouteContext): void {
  const send = (message: LiveMessage | { type: 'resync' }) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  send({ type: 'hello', protocol: 1, user: { subject: principal.subject, groups: principal.groups } });
  // Routed approvals are read from the database before they are sent: kept in the order notices came.
  let queue: Promise<void> = Promise.resolve();
  const unsubscribe = context.live.subscribe((notice) => {
    if (notice.type === 'approval') {
      if (!approvalConcerns(notice, principal, context)) return;
      queue = queue.then(() =>
        approvalMessage(notice.approval_id, principal, context).then(
          (message) => message && send(message),
          () => send({ type: 'resync' }),
        ),
      );
      return;
    }
    const message = visible(notice, principal, context);
    if (message) send(message);
  });
  // A Node timer waits at most MAX_TIMER_MS (a longer delay fires at once), so a token living longer than
  // that (~24.8 days) is waited for in steps.
  let expiry: NodeJS.Timeout;
  const closeAtExpiry = () => {
    const left = principal.expiresAt * 1000 - Date.now();
    if (left <= 0) socket.close(4401, 'the token has expired: reconnect with a fresh one');
    else expiry = setTimeout(closeAtExpiry, Math.min(left, MAX_TIMER_MS));
  };
  closeAtExpiry();
  socket.on('close', () => {
    clearTimeout(expiry);
    unsubscribe();
  });
}

/** The longest delay setTimeout honours (ms; Node docs, timers: larger values become 1). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What of `notice` the person sees (undefined: nothing). Approvals are sent by the approvals routes' hook. */
function visible(
  notice: LiveNotice,
  principal: Principal,
  context: RouteContext,
): LiveMessage | { type: 'resync' } | undefined {
  const auditor = isAuditor(principal, context.config);
  switch (notice.type) {
    case 'session':
      return auditor || notice.owner === principal.subject ? notice : undefined;
    case 'alert':
      return auditor ? notice : undefined;
    case 'policy':
    case 'resync':
      return notice;
    case 'approval':
      // Sent whole by approvalMessage (it needs the row).
      return undefined;
  }
}

/** Whether an approval notice may concern `principal`: the group's approver, or (by subject) its requester. */
function approvalConcerns(
  notice: Extract<LiveNotice, { type: 'approval' }>,
  principal: Principal,
  context: RouteContext,
): boolean {
  return notice.requester === principal.subject || canApprove(principal, notice.group, context.config);
}

/**
 * The `approval` message for `id` as `principal` may see it (the whole {@link RoutedApproval}), or undefined
 * when it is not theirs to see. @throws the database's errors
 */
async function approvalMessage(
  id: string,
  principal: Principal,
  context: RouteContext,
): Promise<LiveMessage | undefined> {
  const approval = await readApproval(context.pool, id, Date.now() * 1000);
  if (!approval) return undefined;
  const mine = isRequester(principal, approval);
  if (!mine && !canApprove(principal, approval.group, context.config)) return undefined;
  return { type: 'approval', approval };
}
