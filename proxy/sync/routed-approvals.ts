/**
 * Approvals routed to a team server group (issue 19, point 6), the engine's side, both ways:
 *
 * - Requester: an approval whose rule has `route` is posted to the server (`POST /v1/approvals`) and stays
 *   pending in the local broker as usual; the server's decision — from the live stream, or from polling
 *   `GET /v1/approvals/:id` as a fallback — is applied through {@link Approvals.decideRouted}, so
 *   `approval.decided` in the requester's chain carries the approver the server verified. Unreachable
 *   server, signed out: it stays pending (the post is retried) and expires at its timeout like any other —
 *   never allowed. Withdrawn (or decided) here: the server is told (`withdraw`).
 * - Approver: while a team server is configured and someone is signed in, approvals routed to the person's
 *   groups (not their own) are kept in an inbox ({@link RoutedApprovals.inbox}) the control API serves and
 *   pushes (`team-approval`), and decided on the server with the person's token ({@link RoutedApprovals.decide}).
 */
import type { Component } from '../common/lifecycle.js';
import { nowMicros } from '../common/time.js';
import { type Approvals, WITHDRAWN_AT_START, WITHDRAWN_AT_STOP } from '../policy/approvals/broker.js';
import type { Approval } from '../policy/guard/types.js';
import { TeamApprovalError, type TeamApprovalsClient } from './approvals-client.js';
import type { TeamLiveFeed } from './live-client.js';
import type { ApprovalDecisionBody, RoutedApproval, RoutedApprovalRequest } from './protocol.js';

/** What {@link RoutedApprovals} needs. */
export interface RoutedApprovalsOptions {
  approvals: Pick<Approvals, 'subscribe' | 'list' | 'decideRouted'>;
  client: TeamApprovalsClient;
  /** The team server's base URL, or undefined when none is configured (then nothing is routed or followed). */
  baseUrl: () => string | undefined;
  /** The signed-in person (issuer, subject), to tell their own requests from those they decide. */
  me: () => { issuer?: string | null; subject?: string | null };
  /** How often pending routed approvals are polled and failed posts retried, ms (default 5 s). */
  pollMs?: number;
  /**
   * The server's live stream (live-client.ts, the engine's one connection, shared with the team policy); false:
   * decisions arrive by polling alone, and the approver's inbox is not kept (for a server behind a proxy that
   * does not pass WebSockets).
   */
  live: TeamLiveFeed | false;
  warn?: (message: string) => void;
}

/** Longest wait at stop for the server to hear of withdrawals, ms. */
const STOP_WITHDRAW_MS = 3_000;

interface Tracked {
  approval: Approval;
  /** The server has it. */
  posted: boolean;
  /** A post or poll is under way. */
  busy: boolean;
  /** The last failure was reported (said once, not at every retry). */
  warned: boolean;
}

/** The routed-approvals component (engine.ts `routedApprovals`). */
export class RoutedApprovals implements Component {
  private readonly tracked = new Map<string, Tracked>();
  private readonly inboxById = new Map<string, RoutedApproval>();
  private readonly listeners = new Set<(approval: RoutedApproval) => void>();
  private unsubscribe: (() => void) | undefined;
  private unfollow: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RoutedApprovalsOptions) {}

  start(): void {
    this.unsubscribe = this.options.approvals.subscribe((approval) => this.onLocal(approval));
    for (const approval of this.options.approvals.list()) this.onLocal(approval);
    this.withdrawLeftOver();
    if (this.options.live !== false)
      this.unfollow = this.options.live.subscribe({
        onMessage: (message) => {
          if (message.type === 'approval') this.onServer(message.approval);
          else if ((message as { type: string }).type === 'resync') this.refresh();
        },
        onConnected: () => this.refresh(),
      });
    this.timer = setInterval(() => this.poll(), this.options.pollMs ?? 5_000);
    this.timer.unref();
  }

  /**
   * Tells the server that what is still pending here is withdrawn (the broker withdraws it next, as its
   * clients are disconnected); waits at most {@link STOP_WITHDRAW_MS}. What the server was not told is told at
   * the next start.
   */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.timer);
    this.unfollow?.();
    this.listeners.clear();
    const posted = [...this.tracked.values()].filter((entry) => entry.posted);
    this.tracked.clear();
    if (posted.length === 0) return;
    const told = Promise.allSettled(
      posted.map(({ approval }) => this.options.client.withdraw(approval.id, WITHDRAWN_AT_STOP)),
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((resolve) => {
      timer = setTimeout(resolve, STOP_WITHDRAW_MS);
    });
    await Promise.race([told, late]);
    clearTimeout(timer);
  }

  /**
   * Routed approvals a previous run of the engine left pending (withdrawn by the broker at this start or at
   * the last stop) and not yet expired: the server is told, in case it was not (a crash; unreachable then).
   * A server that already knows answers 409, ignored.
   */
  private withdrawLeftOver(): void {
    if (!this.options.baseUrl()) return;
    const now = nowMicros();
    for (const approval of this.options.approvals.list({ all: true, limit: 1_000 })) {
      const leftOver = approval.reason === WITHDRAWN_AT_START || approval.reason === WITHDRAWN_AT_STOP;
      if (
        approval.status === 'withdrawn' &&
        leftOver &&
        approval.subject.rule.route &&
        approval.expires_at > now
      )
        this.options.client
          .withdraw(approval.id, approval.reason ?? WITHDRAWN_AT_START)
          .catch(() => undefined);
    }
  }

  /** Pending approvals routed to this person's groups by others, newest first (what they may decide). */
  inbox(): RoutedApproval[] {
    const now = nowMicros();
    // Expired ones are forgotten here (the server sends nothing when a request merely runs out of time).
    for (const [id, approval] of this.inboxById) if (approval.expires_at <= now) this.inboxById.delete(id);
    return [...this.inboxById.values()].sort((a, b) => b.requested_at - a.requested_at);
  }

  /** One approval of the inbox (or one the server shows this person), by id. @throws TeamApprovalError */
  async get(id: string): Promise<RoutedApproval> {
    return this.inboxById.get(id) ?? this.options.client.get(id);
  }

  /**
   * Decides an approval routed to this person's group, on the server with their token.
   * @throws TeamApprovalError (403 `forbidden`/`self_approval`, 404, 409 `not_pending`, `signed_out`, …)
   */
  async decide(id: string, body: ApprovalDecisionBody): Promise<RoutedApproval> {
    const approval = await this.options.client.decide(id, body);
    this.onServer(approval);
    return approval;
  }

  /** Called with each inbox change (new, decided, expired elsewhere); returns the unsubscribe function. */
  subscribe(listener: (approval: RoutedApproval) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onLocal(approval: Approval): void {
    const route = approval.subject.rule.route;
    if (!route || !this.options.baseUrl()) return;
    const entry = this.tracked.get(approval.id);
    if (approval.status === 'pending') {
      if (entry) entry.approval = approval;
      else {
        this.tracked.set(approval.id, { approval, posted: false, busy: false, warned: false });
        void this.push(approval.id);
      }
      return;
    }
    if (!entry) return;
    this.tracked.delete(approval.id);
    // Ended here (client gone, engine stopping, allowed self-approval): the approvers need not decide it.
    const endedHere = approval.status === 'withdrawn' || approval.decided_by?.via !== 'team';
    if (entry.posted && approval.status !== 'expired' && endedHere)
      this.options.client
        .withdraw(approval.id, approval.reason ?? `${approval.status} on the requesting engine`)
        .catch(() => undefined);
  }

  /** Posts a tracked approval (retried by {@link poll} until it is posted or ends). */
  private async push(id: string): Promise<void> {
    const entry = this.tracked.get(id);
    if (!entry || entry.busy) return;
    entry.busy = true;
    try {
      const answer = await this.options.client.post(requestOf(entry.approval));
      entry.posted = true;
      entry.warned = false;
      this.onServer(answer);
    } catch (error) {
      this.failed(entry, error);
    } finally {
      entry.busy = false;
    }
  }

  private poll(): void {
    for (const [id, entry] of this.tracked) {
      if (!entry.posted) {
        void this.push(id);
        continue;
      }
      if (entry.busy) continue;
      entry.busy = true;
      this.options.client
        .get(id)
        .then(
          (approval) => this.onServer(approval),
          (error: unknown) => this.failed(entry, error),
        )
        .finally(() => {
          entry.busy = false;
        });
    }
  }

  /** What the server says of an approval: a decision for one of ours, or an inbox change. */
  private onServer(routed: RoutedApproval): void {
    if (this.tracked.has(routed.id)) {
      if (routed.status === 'approved' || routed.status === 'denied') this.apply(routed);
      return;
    }
    const me = this.options.me();
    const mine = routed.requester.subject === me.subject && routed.requester.issuer === me.issuer;
    if (mine) return;
    if (routed.status === 'pending') this.inboxById.set(routed.id, routed);
    else this.inboxById.delete(routed.id);
    for (const listener of this.listeners) {
      try {
        listener(routed);
      } catch {
        // A subscriber's failure never reaches the component.
      }
    }
  }

  /** Applies the server's decision to the local broker, exactly like a local one (recorded in the chain). */
  private apply(routed: RoutedApproval): void {
    const by = routed.decided_by;
    if (!by) return;
    try {
      this.options.approvals.decideRouted(routed.id, {
        approve: routed.status === 'approved',
        ...(routed.reason ? { reason: routed.reason } : {}),
        ...(routed.status === 'approved' && routed.scope ? { scope: routed.scope } : {}),
        by: {
          verified: true,
          identity_status: 'verified',
          issuer: by.issuer,
          subject: by.subject,
          ...(by.email ? { email: by.email } : {}),
          ...(by.name ? { name: by.name } : {}),
          groups: by.groups,
          via: 'team',
          self_approved: by.issuer === routed.requester.issuer && by.subject === routed.requester.subject,
        },
      });
    } catch (error) {
      // Already ended here (expired, withdrawn) or not recordable now: the poll tries again while pending.
      if (!this.tracked.has(routed.id)) return;
      this.warn(
        `approval ${routed.id}: the team decision could not be applied (${(error as Error).message})`,
      );
    }
  }

  /** Re-reads the inbox and the routed approvals after a (re)connection. */
  private refresh(): void {
    this.options.client.pending().then(
      (approvals) => {
        for (const approval of approvals) this.onServer(approval);
      },
      () => undefined,
    );
    this.poll();
  }

  private failed(entry: Tracked, error: unknown): void {
    if (entry.warned) return;
    entry.warned = true;
    const why = error instanceof TeamApprovalError ? error.message : String(error);
    this.warn(
      `approval ${entry.approval.id} is routed to group "${entry.approval.subject.rule.route?.group}" but the team server cannot be reached now (${why}); it stays pending and expires at its timeout unless the server answers in time`,
    );
  }

  private warn(message: string): void {
    (this.options.warn ?? ((text: string) => process.stderr.write(`glassbox: ${text}\n`)))(message);
  }
}

/** The request the server stores for a routed local approval (`what`: the subject the dashboard shows). */
export function requestOf(approval: Approval): RoutedApprovalRequest {
  const route = approval.subject.rule.route!;
  return {
    id: approval.id,
    session_id: approval.subject.session_id,
    request_seq: approval.subject.request_seq,
    rule_id: approval.subject.rule.id,
    group: route.group,
    allow_self_approval: route.allowSelfApproval,
    what: approval.subject,
    requested_at: approval.requested_at,
    expires_at: approval.expires_at,
  };
}

/**
 * A routed approval in the local {@link Approval} shape (what the control API and `glassbox approve` show):
 * `subject` is the requester's subject as posted, `decided_by` the approver the server verified.
 */
export function asLocalApproval(routed: RoutedApproval): Approval {
  const by = routed.decided_by;
  return {
    id: routed.id,
    subject: routed.what as Approval['subject'],
    status: routed.status,
    requested_at: routed.requested_at,
    expires_at: routed.expires_at,
    ...(routed.decided_at !== null ? { decided_at: routed.decided_at } : {}),
    ...(by
      ? {
          decided_by: {
            verified: true,
            identity_status: 'verified' as const,
            issuer: by.issuer,
            subject: by.subject,
            ...(by.email ? { email: by.email } : {}),
            ...(by.name ? { name: by.name } : {}),
            groups: by.groups,
            via: 'team',
            self_approved: by.issuer === routed.requester.issuer && by.subject === routed.requester.subject,
          },
        }
      : {}),
    ...(routed.reason !== null ? { reason: routed.reason } : {}),
    ...(routed.scope ? { scope: routed.scope } : {}),
  };
}
