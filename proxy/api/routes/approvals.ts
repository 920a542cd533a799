/**
 * The approvals routes (issue 17, points 5 and 6): list, read, approve and deny just-in-time approvals, and
 * wait for one to be decided (the Claude Code hook long-polls this). The server runs its guards (Host,
 * Origin, bearer token) before handing a request here, for every method; bodies are JSON only (a foreign
 * page cannot send that without a preflight) and size-capped. Whoever holds the token is the engine's user,
 * so a decision is recorded as the engine's identity at that moment — the signed-in person with the claims
 * the provider verified, else the OS user, unverified — through the client the body names (`via`).
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { nowMicros } from '../../common/time.js';
import { actorOf } from '../../policy/actor.js';
import { ApprovalError, type Approvals } from '../../policy/approvals/broker.js';
import { formatDuration, parseDuration } from '../../policy/approvals/duration.js';
import { normalizeApprovalId } from '../../policy/approvals/ids.js';
import type { Approval, ApprovalScope } from '../../policy/guard/types.js';
import type { Identity } from '../../store/types.js';
import { StoreUnavailableError } from '../../store/unavailable.js';
import { TeamApprovalError } from '../../sync/approvals-client.js';
import type { ApprovalDecisionBody } from '../../sync/protocol.js';
import { asLocalApproval, type RoutedApprovals } from '../../sync/routed-approvals.js';
import { ApiError } from '../guards.js';
import { readJsonBody } from '../json-body.js';
import type {
  ApprovalResponse,
  ApprovalsResponse,
  ApprovalWaitResponse,
  TeamApprovalsResponse,
} from '../types.js';

/** What the approvals routes need from the engine. */
export interface ApprovalRouteOptions {
  approvals: Pick<Approvals, 'list' | 'get' | 'decide' | 'subscribe' | 'settings'>;
  /**
   * The identity a decision is recorded as, read at each decision: the engine's live sign-in (verified
   * claims when signed in), else its OS user (the token is that user's alone).
   */
  identity: () => Identity;
  /**
   * Approvals routed to this person's groups on the team server (proxy/sync/routed-approvals.ts): listed at
   * `GET /api/team/approvals`, and decided through the same approve/deny routes when the id is not a local
   * approval. Absent: no team server.
   */
  team?: Pick<RoutedApprovals, 'inbox' | 'decide'>;
}

/** True for the paths {@link ApprovalRoutes} answers. */
export function isApprovalsPath(path: string): boolean {
  return path === '/api/approvals' || path.startsWith('/api/approvals/') || path === TEAM_PATH;
}

/** The inbox of approvals routed to this person's groups on the team server. */
const TEAM_PATH = '/api/team/approvals';

const MAX_BODY_BYTES = 8 * 1024;
/** Longest `for` of a session approval, ms. */
const MAX_SESSION_MS = 24 * 3_600_000;
/** Longest wait of GET /api/approvals/:id/wait, ms (the hook's own timeout is 10 minutes). */
const MAX_WAIT_MS = 10 * 60_000;
const DEFAULT_WAIT_MS = 30_000;

const via = z.string().min(1).max(64).optional();
const approveBody = z
  .object({
    scope: z.enum(['once', 'session']).optional(),
    for: z.string().max(32).optional(),
    reason: z.string().max(500).optional(),
    via,
  })
  .strict();
const denyBody = z.object({ reason: z.string().trim().min(1, 'is required to deny').max(500), via }).strict();

/**
 * Answers `GET /api/approvals[?all=1&limit=N]`, `GET /api/approvals/:id`, `GET /api/approvals/:id/wait
 * [?timeout=30s]`, `POST /api/approvals/:id/approve` and `POST /api/approvals/:id/deny` (shapes in types.ts).
 */
export class ApprovalRoutes {
  constructor(private readonly options: ApprovalRouteOptions) {}

  /**
   * Handles one guarded request to an {@link isApprovalsPath} path.
   * @returns the JSON answer (status 200)
   * @throws ApiError: 404 unknown path or approval, 405 wrong method, 415/413/400 bad body or parameter,
   *   409 `not_pending` (with the approval's `status`) for a decision on one no longer pending, 503
   *   `store_unavailable` when the decision cannot be recorded
   */
  async handle(req: IncomingMessage, url: URL): Promise<unknown> {
    const path = url.pathname;
    if (path === TEAM_PATH) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed(req, path);
      return {
        approvals: this.options.team?.inbox() ?? [],
        now: nowMicros(),
      } satisfies TeamApprovalsResponse;
    }
    if (path === '/api/approvals') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw notAllowed(req, path);
      return this.list(url.searchParams);
    }
    const match = /^\/api\/approvals\/([^/]{1,64})(?:\/(approve|deny|wait))?$/.exec(path);
    if (!match) throw new ApiError(404, 'not_found', `no route ${path}`);
    const id = normalizeApprovalId(decodeURIComponent(match[1]!));
    const action = match[2];
    const get = action === undefined || action === 'wait';
    if (get ? req.method !== 'GET' && req.method !== 'HEAD' : req.method !== 'POST')
      throw notAllowed(req, path);
    const approval = id && this.options.approvals.get(id);
    if (!approval && id && action !== undefined && action !== 'wait' && this.options.team)
      return this.decideRouted(
        id,
        action === 'deny' ? 'deny' : 'approve',
        await readJsonBody(req, MAX_BODY_BYTES),
      );
    if (!approval)
      throw new ApiError(404, 'not_found', `no approval ${match[1]} (see GET /api/approvals?all=1)`);
    if (action === undefined) return { approval } satisfies ApprovalResponse;
    if (action === 'wait') return this.wait(req, approval, url.searchParams);
    if (action === 'approve')
      return this.approve(approval.id, parse(approveBody, await readJsonBody(req, MAX_BODY_BYTES)));
    return this.deny(approval.id, parse(denyBody, await readJsonBody(req, MAX_BODY_BYTES)));
  }

  private list(params: URLSearchParams): ApprovalsResponse {
    const all = ['1', 'true', 'yes'].includes(params.get('all') ?? '');
    const rawLimit = params.get('limit');
    const limit = rawLimit ? Number(rawLimit) : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000)
      throw new ApiError(400, 'bad_param', 'limit must be an integer from 1 to 1000');
    const { approvals } = this.options;
    const pending = approvals.list({ limit: 1_000 });
    return {
      approvals: all ? approvals.list({ all, limit }) : pending.slice(0, limit),
      pending: pending.length,
      now: nowMicros(),
    };
  }

  private approve(id: string, body: z.infer<typeof approveBody>): ApprovalResponse {
    const type = body.scope ?? (body.for !== undefined ? 'session' : 'once');
    let scope: ApprovalScope = { type: 'once' };
    if (type === 'session') {
      const ms =
        body.for === undefined ? this.options.approvals.settings().sessionScopeMs : parseDuration(body.for);
      if (ms === undefined || ms < 1_000 || ms > MAX_SESSION_MS)
        throw new ApiError(400, 'bad_body', `for: give a duration from 1s to 24h, like "15m" or "1h30m"`);
      scope = { type: 'session', until_us: nowMicros() + ms * 1000 };
    } else if (body.for !== undefined) {
      throw new ApiError(
        400,
        'bad_body',
        'for: only a session approval lasts for a time; leave scope out or say "session"',
      );
    }
    return { approval: this.decide(id, { approve: true, scope, reason: body.reason, via: body.via }) };
  }

  /** Decides an approval routed to this person's group, on the team server with their token. */
  private async decideRouted(
    id: string,
    action: 'approve' | 'deny',
    raw: unknown,
  ): Promise<ApprovalResponse> {
    const team = this.options.team!;
    let body: ApprovalDecisionBody;
    if (action === 'deny') {
      const { reason } = parse(denyBody, raw);
      body = { decision: 'denied', reason };
    } else {
      const parsed = parse(approveBody, raw);
      const session = parsed.scope === 'session' || parsed.for !== undefined;
      const ms = parsed.for === undefined ? undefined : parseDuration(parsed.for);
      if (parsed.for !== undefined && (ms === undefined || ms < 1_000 || ms > MAX_SESSION_MS))
        throw new ApiError(400, 'bad_body', `for: give a duration from 1s to 24h, like "15m" or "1h30m"`);
      body = {
        decision: 'approved',
        ...(parsed.reason ? { reason: parsed.reason } : {}),
        ...(session ? { scope: 'session' as const } : {}),
        ...(ms !== undefined ? { for_seconds: Math.round(ms / 1000) } : {}),
      };
    }
    try {
      return { approval: asLocalApproval(await team.decide(id, body)) };
    } catch (error) {
      throw teamError(error, id);
    }
  }

  private deny(id: string, body: z.infer<typeof denyBody>): ApprovalResponse {
    return { approval: this.decide(id, { approve: false, reason: body.reason, via: body.via }) };
  }

  private decide(
    id: string,
    decision: { approve: boolean; scope?: ApprovalScope; reason?: string; via?: string },
  ): Approval {
    const { approve, scope, reason } = decision;
    try {
      return this.options.approvals.decide(id, {
        approve,
        ...(scope ? { scope } : {}),
        ...(reason ? { reason } : {}),
        by: { ...actorOf(this.options.identity()), via: decision.via ?? 'api' },
      });
    } catch (error) {
      throw apiError(error);
    }
  }

  /** Answers when the approval is decided, or after `timeout` with it still pending (or when the client leaves). */
  private wait(
    req: IncomingMessage,
    approval: Approval,
    params: URLSearchParams,
  ): Promise<ApprovalWaitResponse> {
    const raw = params.get('timeout');
    const ms =
      raw === null || raw === ''
        ? DEFAULT_WAIT_MS
        : /^\d+$/.test(raw)
          ? Number(raw) * 1000
          : parseDuration(raw);
    if (ms === undefined || ms > MAX_WAIT_MS)
      throw new ApiError(
        400,
        'bad_param',
        `timeout: give seconds or a duration up to ${formatDuration(MAX_WAIT_MS)}, like 30 or "90s"`,
      );
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
      const timer = setTimeout(() => done(this.options.approvals.get(approval.id) ?? approval, true), ms);
      const unsubscribe = this.options.approvals.subscribe((changed) => {
        if (changed.id === approval.id && changed.status !== 'pending') done(changed, false);
      });
      // The socket, not the request: a request's 'close' comes as soon as its (empty) body is read.
      req.socket.once('close', gone);
    });
  }
}

function notAllowed(req: IncomingMessage, path: string): ApiError {
  return new ApiError(405, 'method_not_allowed', `${req.method} is not supported on ${path}`);
}

/** The API's answer to the team server's refusal of a routed decision. */
function teamError(error: unknown, id: string): unknown {
  if (!(error instanceof TeamApprovalError)) return error;
  if (error.status === 404 || error.code === 'not_configured')
    throw new ApiError(404, 'not_found', `no approval ${id} here or routed to your groups`);
  if (error.status === 409)
    return new ApiError(409, 'not_pending', error.message, { status: error.approval?.status });
  if (error.status === 403) return new ApiError(403, error.code, error.message);
  return new ApiError(
    503,
    'team_unavailable',
    `the team server could not take the decision: ${error.message}`,
  );
}

/** The API's answer to a broker's refusal. */
function apiError(error: unknown): unknown {
  if (error instanceof ApprovalError) {
    if (error.reason === 'routed') return new ApiError(403, 'routed_to_group', error.message);
    if (error.reason === 'unknown') return new ApiError(404, 'not_found', error.message);
    if (error.reason === 'not_pending')
      return new ApiError(409, 'not_pending', error.message, { status: error.status });
    return new ApiError(400, 'bad_body', error.message);
  }
  if (error instanceof StoreUnavailableError)
    return new ApiError(
      503,
      'store_unavailable',
      `the decision could not be recorded, so it was not made: ${error.message}`,
    );
  return error;
}

/** The body checked against `schema`. @throws ApiError 400 naming the first bad field */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
  throw new ApiError(400, 'bad_body', `${field}: ${issue.message.replace(/^Invalid input: /, '')}`);
}
