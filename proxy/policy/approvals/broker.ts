/**
 * The approval broker (DESIGN.md, "Guardrails and just-in-time approvals"): holds operations until a person
 * decides, and records every step in the requesting session's chain and the `approvals` table (record.ts).
 *
 * Life of an approval: `request` records `approval.requested` and arms a timer at `expires_at`; `decide`
 * (the control API, the CLI through it, the desktop), the timer (`expired`) or `withdraw` (the client went
 * away) records `approval.decided` and settles the enforcement point's promise. What is pending lives in
 * memory, so nothing on a proxy's path waits for SQLite; an engine that stops withdraws what is still
 * pending, and one that starts withdraws what a dead engine left pending (their clients are gone).
 */
import { UserError } from '../../common/errors.js';
import type { Component } from '../../common/lifecycle.js';
import { nowMicros } from '../../common/time.js';
import type { Store } from '../../store/store.js';
import type {
  Approval,
  ApprovalBroker,
  ApprovalOutcome,
  ApprovalScope,
  ApprovalStatus,
  ApprovalSubject,
} from '../guard/types.js';
import { formatDuration } from './duration.js';
import { newApprovalId } from './ids.js';
import { brokenRow, readRow, recordAnnotated, recordDecided, recordRequested, toRow } from './record.js';
import { StandingApprovals } from './standing.js';

/** How long approvals wait and how long a `session` approval lasts when the approver names no time. */
export interface ApprovalSettings {
  /** From request to `expired`, ms (the policy's `approvals.timeout`). */
  timeoutMs: number;
  /** A `session` approval's length when the approver gives none, ms. */
  sessionScopeMs: number;
}

/** 5 minutes to decide; a `session` approval lasts 15 minutes. */
export const DEFAULT_APPROVAL_SETTINGS: ApprovalSettings = {
  timeoutMs: 5 * 60_000,
  sessionScopeMs: 15 * 60_000,
};

/** What the broker needs. */
export interface ApprovalsOptions {
  store: Store;
  /** Read at each request and decision, so a policy change applies to the next one. */
  settings?: () => ApprovalSettings;
  /** Where a step that could not be recorded is reported (default stderr). */
  warn?: (message: string) => void;
}

/**
 * Why `decide` refused: no such approval, no longer pending (with its status), a scope already over, or an
 * approval routed to a team server group (its approvers decide it, not this machine).
 */
export class ApprovalError extends UserError {
  constructor(
    message: string,
    readonly reason: 'unknown' | 'not_pending' | 'bad_scope' | 'routed',
    readonly status?: ApprovalStatus,
  ) {
    super(message);
    this.name = 'ApprovalError';
  }
}

/** A decision on a pending approval: approve or deny, why, for what, and who (`by`). */
export interface Decision {
  approve: boolean;
  reason?: string;
  scope?: ApprovalScope;
  by: NonNullable<Approval['decided_by']>;
}

/** The reasons recorded for approvals nobody decided. */
export const WITHDRAWN_AT_START = 'the engine restarted: the client that asked is gone';
export const WITHDRAWN_AT_STOP = 'the engine stopped';

/** Approvals listed at most at once. */
const MAX_LIST = 1_000;
/** Ended approvals kept in memory. */
const RECENT = 1_000;

interface Pending {
  approval: Approval;
  resolve: (outcome: ApprovalOutcome) => void;
  timer: NodeJS.Timeout;
}

/** The engine's {@link ApprovalBroker}, a component of the composition root (engine.ts, `engine.approvals`). */
export class Approvals implements ApprovalBroker, Component {
  private readonly pending = new Map<string, Pending>();
  /** Ids this run issued (the table may not hold them yet). */
  private readonly issued = new Set<string>();
  private readonly listeners = new Set<(approval: Approval) => void>();
  private readonly standing: StandingApprovals;
  /**
   * Approvals of this run that ended, newest last, at most {@link RECENT}: answered from memory, since SQLite
   * may lag the journal (a full disk) and the hook's long-poll asks often.
   */
  private readonly ended = new Map<string, Approval>();
  /** Ids of ended approvals the store refused to record (a full disk): recorded once it takes writes again. */
  private readonly unrecorded = new Set<string>();
  private stopHealth: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly options: ApprovalsOptions) {
    this.standing = new StandingApprovals(() => this.settings().timeoutMs * 1000);
  }

  /** The settings in force now. */
  settings(): ApprovalSettings {
    return this.options.settings?.() ?? DEFAULT_APPROVAL_SETTINGS;
  }

  /**
   * Withdraws (recorded) what a dead engine left pending, and keeps the `session` approvals still running.
   * @throws StoreUnavailableError when the withdrawals cannot be recorded
   */
  start(): void {
    const { store } = this.options;
    for (;;) {
      const rows = store.approvals.list({ all: false, limit: MAX_LIST });
      if (rows.length === 0) break;
      for (const row of rows) {
        const approval = readRow(row) ?? brokenRow(row);
        const withdrawn: Approval = {
          ...approval,
          status: 'withdrawn',
          decided_at: nowMicros(),
          reason: WITHDRAWN_AT_START,
        };
        // A row whose session is not in the store (edited by hand) has no chain to record in: the row alone.
        if (store.getSession(row.session_id)) recordDecided(store, withdrawn);
        else store.approvals.put(toRow(withdrawn));
      }
    }
    const now = nowMicros();
    for (const row of store.approvals.list({ all: true, limit: MAX_LIST })) {
      const approval = row.status === 'approved' ? readRow(row) : undefined;
      if (approval?.scope?.type === 'session' && approval.scope.until_us > now)
        this.standing.add(approval, now);
    }
    this.stopHealth = store.onHealthChange((health) => {
      // After the store has finished coming back (listeners are told while it changes state).
      if (health.ok) setImmediate(() => this.recordLate());
    });
  }

  /** Withdraws (recorded) every approval still pending: their clients are being disconnected. */
  stop(): void {
    this.stopped = true;
    for (const entry of [...this.pending.values()]) {
      this.finish(entry, { status: 'withdrawn', reason: WITHDRAWN_AT_STOP }, false);
    }
    this.stopHealth?.();
    this.recordLate();
    this.standing.clear();
    this.listeners.clear();
  }

  covered(subject: Pick<ApprovalSubject, 'session_id' | 'operation_hash' | 'rule'>): Approval | undefined {
    return this.standing.covered(subject, nowMicros());
  }

  /**
   * @throws Error when the engine is stopping or the session is unknown; StoreUnavailableError when the
   *   request cannot be recorded (the enforcement point then refuses the operation)
   */
  request(subject: ApprovalSubject): { approval: Approval; settled: Promise<ApprovalOutcome> } {
    if (this.stopped) throw new Error('the engine is stopping: no approval can be requested');
    const { store } = this.options;
    this.recordLate();
    const id = newApprovalId((candidate) => this.issued.has(candidate) || store.approvals.idTaken(candidate));
    const now = nowMicros();
    const asked: Approval = {
      id,
      subject,
      status: 'pending',
      requested_at: now,
      expires_at: now + this.settings().timeoutMs * 1000,
    };
    const approval = recordRequested(store, asked);
    this.issued.add(id);
    let resolve: (outcome: ApprovalOutcome) => void = () => undefined;
    const settled = new Promise<ApprovalOutcome>((done) => {
      resolve = done;
    });
    const wait = Math.max(0, (approval.expires_at - nowMicros()) / 1000);
    const timer = setTimeout(() => this.expire(id), wait).unref();
    this.pending.set(id, { approval, resolve, timer });
    this.notify(approval);
    return { approval, settled };
  }

  /**
   * A decision made on this machine (control API, CLI, desktop).
   * @throws ApprovalError when the id is unknown, the approval is no longer pending, a `session` scope ends
   *   before now, or the approval is routed to a group whose rule does not allow self-approval (`routed`);
   *   StoreUnavailableError when the decision cannot be recorded (it stays pending)
   */
  decide(id: string, decision: Decision): Approval {
    return this.settle(id, decision, false);
  }

  /**
   * A decision the team server returned for an approval routed to a group (proxy/sync/routed-approvals.ts):
   * recorded exactly like a local one, `by` being the approver the server verified.
   * @throws as {@link decide}, never `routed`
   */
  decideRouted(id: string, decision: Decision): Approval {
    return this.settle(id, decision, true);
  }

  private settle(id: string, decision: Decision, routed: boolean): Approval {
    const entry = this.pending.get(id);
    if (!entry) {
      const known = this.get(id);
      if (!known) throw new ApprovalError(`no approval ${id}`, 'unknown');
      throw new ApprovalError(
        `approval ${id} is no longer pending: it was ${known.status}`,
        'not_pending',
        known.status,
      );
    }
    const route = entry.approval.subject.rule.route;
    if (route && !routed && !route.allowSelfApproval)
      throw new ApprovalError(
        `approval ${id} is routed to group "${route.group}" on the team server: an approver of that group decides it (rule ${entry.approval.subject.rule.id} does not allow self-approval)`,
        'routed',
      );
    const scope: ApprovalScope | undefined = decision.approve
      ? (decision.scope ?? { type: 'once' })
      : undefined;
    if (scope?.type === 'session' && !(scope.until_us > nowMicros())) {
      throw new ApprovalError('a session approval must last until a time still to come', 'bad_scope');
    }
    const requester =
      entry.approval.subject.identity?.os_user ??
      this.options.store.getSession(entry.approval.subject.session_id)?.identity.os_user;
    const by = routed
      ? decision.by
      : { ...decision.by, self_approved: requester !== undefined && requester === decision.by.os_user };
    return this.finish(
      entry,
      { status: decision.approve ? 'approved' : 'denied', decided_by: by, reason: decision.reason, scope },
      true,
    );
  }

  /** See {@link ApprovalBroker.annotate}; a context that cannot be recorded is reported and dropped. */
  annotate(id: string, context: NonNullable<ApprovalSubject['context']>): Approval | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    const { subject } = entry.approval;
    const approval: Approval = {
      ...entry.approval,
      subject: { ...subject, context: { ...subject.context, ...context } },
    };
    try {
      recordAnnotated(this.options.store, approval, context);
    } catch (error) {
      this.warn(`approval ${id}: its context could not be recorded (${(error as Error).message})`);
      return entry.approval;
    }
    entry.approval = approval;
    this.notify(approval);
    return approval;
  }

  withdraw(id: string, why: string): void {
    const entry = this.pending.get(id);
    if (entry) this.finish(entry, { status: 'withdrawn', reason: why }, false);
  }

  get(id: string): Approval | undefined {
    const pending = this.pending.get(id);
    if (pending) return pending.approval;
    const ended = this.ended.get(id);
    if (ended) return ended;
    const row = this.options.store.approvals.get(id);
    return row && readRow(row);
  }

  list(options: { all?: boolean; limit?: number } = {}): Approval[] {
    const all = options.all ?? false;
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 100), 1), MAX_LIST);
    // The table, with what this run knows better (SQLite may lag the journal) laid over it.
    const byId = new Map<string, Approval>();
    for (const row of this.options.store.approvals.list({ all, limit })) {
      const approval = readRow(row);
      if (approval) byId.set(approval.id, approval);
    }
    for (const approval of this.ended.values())
      if (all || byId.has(approval.id)) byId.set(approval.id, approval);
    for (const { approval } of this.pending.values()) byId.set(approval.id, approval);
    return [...byId.values()]
      .filter((approval) => all || approval.status === 'pending')
      .sort(
        (a, b) =>
          Number(b.status === 'pending') - Number(a.status === 'pending') ||
          b.requested_at - a.requested_at ||
          (b.id < a.id ? -1 : 1),
      )
      .slice(0, limit);
  }

  subscribe(listener: (approval: Approval) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private expire(id: string): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    const early = entry.approval.expires_at - nowMicros();
    if (early > 0) {
      // Timers may fire up to a millisecond early: expiry is never recorded before expires_at.
      entry.timer = setTimeout(() => this.expire(id), Math.ceil(early / 1000)).unref();
      return;
    }
    const waited = formatDuration((entry.approval.expires_at - entry.approval.requested_at) / 1000);
    this.finish(entry, { status: 'expired', reason: `nobody decided within ${waited}` }, false);
  }

  /**
   * Ends a pending approval: records `approval.decided`, then settles its waiter and tells subscribers.
   * `strict`: a decision that cannot be recorded throws and leaves it pending; otherwise (expiry,
   * withdrawal: the operation is refused either way) it ends anyway and the failure is reported.
   */
  private finish(
    entry: Pending,
    change: Pick<Approval, 'status' | 'decided_by' | 'reason' | 'scope'>,
    strict: boolean,
  ): Approval {
    const decided: Approval = { ...entry.approval, status: change.status, decided_at: nowMicros() };
    if (change.decided_by) decided.decided_by = change.decided_by;
    if (change.reason) decided.reason = change.reason;
    if (change.scope) decided.scope = change.scope;
    let approval = decided;
    try {
      approval = recordDecided(this.options.store, decided);
    } catch (error) {
      if (strict) throw error;
      this.unrecorded.add(decided.id);
      this.warn(
        `approval ${decided.id} ${decided.status}; it is recorded once the store takes writes again (${(error as Error).message})`,
      );
    }
    this.pending.delete(approval.id);
    clearTimeout(entry.timer);
    this.ended.set(approval.id, approval);
    for (const id of this.ended.keys()) {
      if (this.ended.size <= RECENT) break;
      if (!this.unrecorded.has(id)) this.ended.delete(id);
    }
    if (approval.status === 'approved') this.standing.add(approval, nowMicros());
    entry.resolve({ status: approval.status, approval } as ApprovalOutcome);
    this.notify(approval);
    return approval;
  }

  /** Records the endings the store refused earlier (in the order they happened); what it still refuses waits. */
  private recordLate(): void {
    for (const id of this.unrecorded) {
      const approval = this.ended.get(id);
      try {
        if (approval) this.ended.set(id, recordDecided(this.options.store, approval));
      } catch {
        return;
      }
      this.unrecorded.delete(id);
    }
  }

  private warn(line: string): void {
    (this.options.warn ?? ((text: string) => process.stderr.write(`glassbox: ${text}\n`)))(line);
  }

  private notify(approval: Approval): void {
    for (const listener of this.listeners) {
      try {
        listener(approval);
      } catch {
        // A subscriber's failure never reaches the broker.
      }
    }
  }
}
