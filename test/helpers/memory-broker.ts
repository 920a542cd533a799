import { randomBytes } from 'node:crypto';
import type {
  Approval,
  ApprovalBroker,
  ApprovalOutcome,
  ApprovalScope,
  ApprovalSubject,
} from '../../proxy/policy/guard/types.js';

/**
 * An in-memory ApprovalBroker for enforcement tests, faithful to the contract in proxy/policy/guard/types.ts:
 * pending → approved | denied | expired | withdrawn, each settling the request's promise once; `covered` by a
 * session-scope approval of the same rule and session while it lasts, or once by an approved, unused `once`
 * approval of the same operation hash asked for in retry mode. Nothing is recorded (the real broker records
 * `approval.requested`/`approval.decided`); `timeoutMs` expires pending ones.
 */
export class MemoryBroker implements ApprovalBroker {
  private readonly approvals = new Map<string, Approval>();
  private readonly waiters = new Map<string, (outcome: ApprovalOutcome) => void>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Ids of `once` approvals asked for in retry mode, until consumed by `covered`. */
  private readonly retryable = new Set<string>();
  private readonly listeners = new Set<(approval: Approval) => void>();

  /** How long a request stays pending before it expires, ms (read at each request). */
  timeoutMs: number;

  constructor(private readonly options: { timeoutMs: number; mode?: () => 'hold' | 'retry' }) {
    this.timeoutMs = options.timeoutMs;
  }

  covered(subject: Pick<ApprovalSubject, 'session_id' | 'operation_hash' | 'rule'>): Approval | undefined {
    const now = Date.now() * 1000;
    for (const approval of this.approvals.values()) {
      if (approval.status !== 'approved') continue;
      const scope = approval.scope ?? { type: 'once' };
      if (
        scope.type === 'session' &&
        scope.until_us > now &&
        approval.subject.session_id === subject.session_id &&
        approval.subject.rule.id === subject.rule.id
      )
        return approval;
      if (
        scope.type === 'once' &&
        this.retryable.has(approval.id) &&
        approval.subject.operation_hash === subject.operation_hash
      ) {
        this.retryable.delete(approval.id);
        return approval;
      }
    }
    return undefined;
  }

  request(subject: ApprovalSubject): { approval: Approval; settled: Promise<ApprovalOutcome> } {
    const now = Date.now() * 1000;
    const approval: Approval = {
      id: `ap_${randomBytes(4).toString('hex')}`,
      subject,
      status: 'pending',
      requested_at: now,
      expires_at: now + this.timeoutMs * 1000,
    };
    this.approvals.set(approval.id, approval);
    if (this.options.mode?.() === 'retry') this.retryable.add(approval.id);
    const settled = new Promise<ApprovalOutcome>((resolve) => this.waiters.set(approval.id, resolve));
    this.timers.set(
      approval.id,
      setTimeout(() => this.settle(approval.id, { status: 'expired' }), this.timeoutMs),
    );
    this.emit(approval);
    return { approval: { ...approval }, settled };
  }

  decide(
    id: string,
    decision: {
      approve: boolean;
      reason?: string;
      scope?: ApprovalScope;
      by: NonNullable<Approval['decided_by']>;
    },
  ): Approval {
    const approval = this.approvals.get(id);
    if (!approval) throw new Error(`no approval ${id}`);
    if (approval.status !== 'pending') throw new Error(`approval ${id} is ${approval.status}, not pending`);
    return this.settle(id, {
      status: decision.approve ? 'approved' : 'denied',
      decided_by: decision.by,
      ...(decision.reason ? { reason: decision.reason } : {}),
      ...(decision.approve ? { scope: decision.scope ?? { type: 'once' } } : {}),
    });
  }

  withdraw(id: string, why: string): void {
    if (this.approvals.get(id)?.status === 'pending') this.settle(id, { status: 'withdrawn', reason: why });
  }

  get(id: string): Approval | undefined {
    const approval = this.approvals.get(id);
    return approval && { ...approval };
  }

  list(options: { all?: boolean; limit?: number } = {}): Approval[] {
    const all = [...this.approvals.values()].filter((a) => options.all || a.status === 'pending');
    const order = (a: Approval) => (a.status === 'pending' ? 0 : 1);
    all.sort((a, b) => order(a) - order(b) || b.requested_at - a.requested_at);
    return all.slice(0, options.limit ?? all.length).map((a) => ({ ...a }));
  }

  subscribe(listener: (approval: Approval) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The pending approvals' ids, oldest first (for tests to decide). */
  pendingIds(): string[] {
    return [...this.approvals.values()].filter((a) => a.status === 'pending').map((a) => a.id);
  }

  /** Stops the expiry timers. */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
  }

  private settle(id: string, change: Partial<Approval> & { status: Approval['status'] }): Approval {
    const approval = this.approvals.get(id)!;
    Object.assign(approval, change, { decided_at: Date.now() * 1000 });
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    if (change.status !== 'approved') this.retryable.delete(id);
    const copy = { ...approval };
    this.waiters.get(id)?.({ status: change.status, approval: copy } as ApprovalOutcome);
    this.waiters.delete(id);
    this.emit(copy);
    return copy;
  }

  private emit(approval: Approval): void {
    for (const listener of this.listeners) listener({ ...approval });
  }
}
