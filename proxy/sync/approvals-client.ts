/**
 * The engine's client of the team server's approval routes (protocol.ts: `POST /v1/approvals`,
 * `GET /v1/approvals[/:id]`, `POST /v1/approvals/:id/decision|withdraw`), with the signed-in person's bearer
 * token. Answers are validated with the protocol's zod schemas; nothing here retries (callers do).
 */

import { bearerHeaders, errorFields, fetchFailure, readJson } from './http.js';
import {
  type ApprovalDecisionBody,
  type RoutedApproval,
  type RoutedApprovalRequest,
  RoutedApprovalSchema,
} from './protocol.js';
import type { BearerSource } from './types.js';

/** Longest wait for one answer, ms. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Why a call failed: `signed_out` (no bearer token: nothing was sent), `unreachable` (no answer), or the
 * server's protocol error (`status` and `code`, e.g. 403 `self_approval`, 409 `not_pending`).
 */
export class TeamApprovalError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
    /** The approval as the server has it, when it said (409 not_pending). */
    readonly approval?: RoutedApproval,
  ) {
    super(message);
    this.name = 'TeamApprovalError';
  }
}

/** Calls the approval routes of the team server at `baseUrl` (no trailing slash). */
export class TeamApprovalsClient {
  constructor(
    private readonly baseUrl: () => string | undefined,
    private readonly bearer: BearerSource,
  ) {}

  /** Routes a request to its group. @throws TeamApprovalError */
  async post(request: RoutedApprovalRequest): Promise<RoutedApproval> {
    return RoutedApprovalSchema.parse(await this.call('POST', '/v1/approvals', request));
  }

  /** One approval as the server has it. @throws TeamApprovalError (404 `not_found` when not visible) */
  async get(id: string): Promise<RoutedApproval> {
    return RoutedApprovalSchema.parse(await this.call('GET', `/v1/approvals/${encodeURIComponent(id)}`));
  }

  /** Pending approvals this person decides or asked. @throws TeamApprovalError */
  async pending(): Promise<RoutedApproval[]> {
    const body = (await this.call('GET', '/v1/approvals?status=pending')) as { approvals?: unknown };
    return RoutedApprovalSchema.array().parse(body.approvals ?? []);
  }

  /** Decides an approval routed to one of this person's groups. @throws TeamApprovalError */
  async decide(id: string, body: ApprovalDecisionBody): Promise<RoutedApproval> {
    return RoutedApprovalSchema.parse(
      await this.call('POST', `/v1/approvals/${encodeURIComponent(id)}/decision`, body),
    );
  }

  /** Withdraws this person's own request. @throws TeamApprovalError */
  async withdraw(id: string, reason: string): Promise<RoutedApproval> {
    return RoutedApprovalSchema.parse(
      await this.call('POST', `/v1/approvals/${encodeURIComponent(id)}/withdraw`, { reason }),
    );
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const base = this.baseUrl();
    if (!base) throw new TeamApprovalError('no team server is configured (team.url)', 'not_configured');
    const token = this.bearer.bearer();
    if (!token)
      throw new TeamApprovalError(
        'not signed in: sign in (glassbox login) to reach the team server',
        'signed_out',
      );
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: bearerHeaders(token, body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new TeamApprovalError(
        `the team server at ${base} does not answer (${fetchFailure(error)})`,
        'unreachable',
      );
    }
    const parsed = await readJson(response);
    if (response.ok) return parsed;
    const error = errorFields(parsed);
    const approval = RoutedApprovalSchema.safeParse((parsed as { approval?: unknown } | undefined)?.approval);
    throw new TeamApprovalError(
      error.message ?? `the team server answered ${response.status}`,
      error.error ?? 'http_error',
      response.status,
      approval.success ? approval.data : undefined,
    );
  }
}
