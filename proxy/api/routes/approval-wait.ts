/**
 * `GET /api/approvals/:id/wait?timeout=SECONDS`: long-polls until an approval is decided (or expires, or is
 * withdrawn), for the Claude Code hook. A stand-in with the same path and answer (`{ approval, timed_out }`)
 * as the approvals routes built alongside it (issue 17, point 6): where those are wired, they answer this
 * path and this module is not used.
 */
import type { IncomingMessage } from 'node:http';
import type { Approval, ApprovalBroker } from '../../policy/guard/types.js';
import { ApiError } from '../guards.js';

/** Longest wait, ms: the hook's own timeout is 10 minutes. */
const MAX_WAIT_MS = 10 * 60_000;
const DEFAULT_WAIT_MS = 30_000;

/** The approval id of a wait path, or undefined when `path` is not one. */
export function approvalWaitId(path: string): string | undefined {
  const match = /^\/api\/approvals\/([0-9A-Za-z_-]{1,64})\/wait$/.exec(path);
  return match?.[1];
}

/** An approval, and whether the wait ended before it was decided. */
export interface ApprovalWait {
  approval: Approval;
  timed_out: boolean;
}

/**
 * Answers a guarded wait request for approval `id`.
 * @throws ApiError 405 for methods other than GET, 404 for an unknown approval, 400 for a bad timeout
 */
export function approvalWaitRoute(
  req: IncomingMessage,
  url: URL,
  id: string,
  approvals: ApprovalBroker,
): Promise<ApprovalWait> {
  if (req.method !== 'GET') throw new ApiError(405, 'method_not_allowed', `${req.method} is not supported`);
  const approval = approvals.get(id);
  if (!approval) throw new ApiError(404, 'not_found', `no approval ${id}`);
  const raw = url.searchParams.get('timeout');
  const ms = raw === null || raw === '' ? DEFAULT_WAIT_MS : /^\d{1,6}$/.test(raw) ? Number(raw) * 1000 : NaN;
  if (!(ms <= MAX_WAIT_MS))
    throw new ApiError(400, 'bad_param', `timeout must be whole seconds up to ${MAX_WAIT_MS / 1000}`);
  if (approval.status !== 'pending' || ms === 0)
    return Promise.resolve({ approval, timed_out: approval.status === 'pending' });
  return new Promise((resolve) => {
    const done = (latest: Approval, timedOut: boolean) => {
      clearTimeout(timer);
      unsubscribe();
      req.socket.off('close', gone);
      resolve({ approval: latest, timed_out: timedOut });
    };
    const gone = () => done(approval, true);
    const timer = setTimeout(() => done(approvals.get(id) ?? approval, true), ms);
    const unsubscribe = approvals.subscribe((changed) => {
      if (changed.id === id && changed.status !== 'pending') done(changed, false);
    });
    req.socket.once('close', gone);
  });
}
