import type { Approval, ApprovalSubject } from '../guard/types.js';

/**
 * Approvals that cover operations after their decision, in memory (answered on the proxies' path without
 * touching SQLite):
 *  - `session` scope: the same rule in the same session until `until_us` (not consumed);
 *  - `once` in `retry` mode: the same operation hash and rule in the same session, once, within
 *    `retryWindowUs` of the decision (the enforcement point refused the operation and its client sends it
 *    again). Another session sending the same operation neither uses it nor uses it up (DESIGN.md: "An
 *    approval covers exactly what was asked (the statement's or command's hash) once").
 * A `once` approval of a held operation (`hold` mode) is used by that operation and never kept here.
 */
export class StandingApprovals {
  /** By session id. */
  private readonly sessions = new Map<string, Approval[]>();
  /** By {@link retryKey}: approved, unused `retry` approvals with the time (µs) they stop covering. */
  private readonly retries = new Map<string, Array<{ approval: Approval; until: number }>>();

  constructor(private readonly retryWindowUs: () => number) {}

  /** Keeps an approved approval that covers more than its own held operation (see the class comment). */
  add(approval: Approval, nowUs: number): void {
    this.prune(nowUs);
    if (approval.status !== 'approved') return;
    const { scope, subject } = approval;
    if (scope?.type === 'session') {
      const list = this.sessions.get(subject.session_id) ?? [];
      list.push(approval);
      this.sessions.set(subject.session_id, list);
    } else if (subject.mode === 'retry') {
      const key = retryKey(subject);
      const list = this.retries.get(key) ?? [];
      list.push({ approval, until: (approval.decided_at ?? 0) + this.retryWindowUs() });
      this.retries.set(key, list);
    }
  }

  /**
   * The approval covering `subject` at `nowUs` (µs since epoch), if any; a `retry` approval is consumed.
   * Approvals no longer covering anything are dropped on the way.
   */
  covered(
    subject: Pick<ApprovalSubject, 'session_id' | 'operation_hash' | 'rule'>,
    nowUs: number,
  ): Approval | undefined {
    const inSession = this.sessions.get(subject.session_id);
    if (inSession) {
      const live = inSession.filter((a) => a.scope?.type === 'session' && a.scope.until_us > nowUs);
      if (live.length === 0) this.sessions.delete(subject.session_id);
      else if (live.length < inSession.length) this.sessions.set(subject.session_id, live);
      const found = live.find((a) => a.subject.rule.id === subject.rule.id);
      if (found) return found;
    }
    const key = retryKey(subject);
    const retries = this.retries.get(key);
    if (!retries) return undefined;
    const live = retries.filter((entry) => entry.until > nowUs);
    const index = live.findIndex((entry) => entry.approval.subject.rule.id === subject.rule.id);
    const found = index >= 0 ? live.splice(index, 1)[0]!.approval : undefined;
    if (live.length === 0) this.retries.delete(key);
    else this.retries.set(key, live);
    return found;
  }

  /** Drops what no longer covers anything at `nowUs`, so ended sessions' approvals do not pile up. */
  private prune(nowUs: number): void {
    for (const [id, list] of this.sessions) {
      const live = list.filter((a) => a.scope?.type === 'session' && a.scope.until_us > nowUs);
      if (live.length === 0) this.sessions.delete(id);
      else this.sessions.set(id, live);
    }
    for (const [key, list] of this.retries) {
      const live = list.filter((entry) => entry.until > nowUs);
      if (live.length === 0) this.retries.delete(key);
      else this.retries.set(key, live);
    }
  }

  /** Forgets everything (the engine stops). */
  clear(): void {
    this.sessions.clear();
    this.retries.clear();
  }
}

/** What a `retry` approval is kept under: its session and its operation's hash (a NUL between them). */
function retryKey(subject: Pick<ApprovalSubject, 'session_id' | 'operation_hash'>): string {
  return `${subject.session_id}\u0000${subject.operation_hash}`;
}
