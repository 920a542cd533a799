import type {
  Approval,
  ApprovalBroker,
  ApprovalOutcome,
  ApprovalSubject,
} from '../../proxy/policy/guard/types.js';

/**
 * A minimal in-memory ApprovalBroker for tests of the enforcement points: pending → approved / denied /
 * expired (after `timeoutMs`) / withdrawn, with `session` scope honoured by `covered`. Records nothing: the
 * real broker (proxy/policy/approvals/, built alongside) adds the chain events and the approvals table.
 */
export class MemoryBroker implements ApprovalBroker {
  private readonly approvals = new Map<string, Approval>();
  private readonly settle = new Map<string, (outcome: ApprovalOutcome) => void>();
  private readonly listeners = new Set<(approval: Approval) => void>();
  private next = 1;

  constructor(private readonly timeoutMs = 5 * 60_000) {}

  covered(subject: Pick<ApprovalSubject, 'session_id' | 'operation_hash' | 'rule'>): Approval | undefined {
    const now = Date.now() * 1000;
    return [...this.approvals.values()].find(
      (a) =>
        a.status === 'approved' &&
        a.scope?.type === 'session' &&
        a.scope.until_us > now &&
        a.subject.session_id === subject.session_id &&
        a.subject.rule.id === subject.rule.id,
    );
  }

  request(subject: ApprovalSubject): { approval: Approval; settled: Promise<ApprovalOutcome> } {
    const now = Date.now() * 1000;
    const approval: Approval = {
      id: `ap${this.next++}`,
      subject,
      status: 'pending',
      requested_at: now,
      expires_at: now + this.timeoutMs * 1000,
    };
    this.approvals.set(approval.id, approval);
    const settled = new Promise<ApprovalOutcome>((resolve) => this.settle.set(approval.id, resolve));
    const timer = setTimeout(() => this.end(approval.id, { status: 'expired' }), this.timeoutMs);
    timer.unref();
    this.emit(approval);
    return { approval, settled };
  }

  decide(id: string, decision: Parameters<ApprovalBroker['decide']>[1]): Approval {
    const approval = this.approvals.get(id);
    if (approval?.status !== 'pending') throw new Error(`approval ${id} is not pending`);
    return this.end(id, {
      status: decision.approve ? 'approved' : 'denied',
      decided_at: Date.now() * 1000,
      decided_by: decision.by,
      ...(decision.reason ? { reason: decision.reason } : {}),
      scope: decision.scope ?? { type: 'once' },
    })!;
  }

  withdraw(id: string, why: string): void {
    this.end(id, { status: 'withdrawn', reason: why });
  }

  get(id: string): Approval | undefined {
    return this.approvals.get(id);
  }

  list(options: { all?: boolean; limit?: number } = {}): Approval[] {
    const all = [...this.approvals.values()].reverse();
    const shown = options.all ? all : all.filter((a) => a.status === 'pending');
    return shown.slice(0, options.limit ?? 100);
  }

  subscribe(listener: (approval: Approval) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private end(id: string, change: Partial<Approval>): Approval | undefined {
    const approval = this.approvals.get(id);
    if (approval?.status !== 'pending') return approval;
    const ended = { ...approval, ...change } as Approval;
    this.approvals.set(id, ended);
    this.settle.get(id)?.({ status: ended.status, approval: ended } as ApprovalOutcome);
    this.emit(ended);
    return ended;
  }

  private emit(approval: Approval): void {
    for (const listener of this.listeners) listener(approval);
  }
}
