/**
 * Pending approvals as the desktop shell keeps them (issue 17, point 6): the list the tray counts and lists,
 * updated from GET /api/approvals and from each `approval` message of /api/live, and the words the tray
 * and the notification use. Electron-free.
 */
import type { Approval } from '../proxy/api/types.js';
import type { RoutedApproval } from '../proxy/sync/protocol.js';
import type { PendingApprovalEntry } from './tray-model.js';

/** `text` on one line, at most `max` characters (an ellipsis marks a cut). */
function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Where an approval comes from: `psql on shop`. */
function origin(approval: Approval): string {
  const { client, target } = approval.subject;
  return `${client ?? 'unknown client'}${target ? ` on ${target}` : ''}`;
}

/** The tray's one-line label of a pending approval: `DELETE FROM orders — psql on shop`. */
export function approvalLabel(approval: Approval): string {
  return `${clip(approval.subject.text, 48)} — ${origin(approval)}`;
}

/**
 * The notification of a new approval request: the rule's message as title; the operation, where from, as
 * whom, and the rule's id as body.
 */
export function approvalNotice(approval: Approval): { title: string; body: string } {
  const { subject } = approval;
  const who = subject.identity?.os_user ?? subject.identity?.email;
  return {
    title: `Approval requested: ${clip(subject.rule.message || subject.rule.id, 80)}`,
    body: `${clip(subject.text, 200)}\n${origin(approval)}${who ? ` as ${who}` : ''} · rule ${subject.rule.id}`,
  };
}

/**
 * The notification of an approval routed to one of the person's groups on the team server (a `team-approval`
 * live message): the group and the rule's message as title; the operation, where from, and who asked (the
 * identity the server verified from their token) as body.
 */
export function teamApprovalNotice(approval: RoutedApproval): { title: string; body: string } {
  const subject = approval.what as Partial<Approval['subject']> | null;
  const rule = subject?.rule?.message || approval.rule_id;
  const text =
    typeof subject?.text === 'string' ? subject.text : `an operation under rule ${approval.rule_id}`;
  const asker = approval.requester.email ?? approval.requester.name ?? approval.requester.subject;
  return {
    title: `Approval for ${clip(approval.group, 40)}: ${clip(rule, 80)}`,
    body: `${clip(text, 200)}
asked by ${asker} · rule ${approval.rule_id} · glassbox approve ${approval.id}`,
  };
}

/** The approvals waiting now, newest first, kept from the engine's answers and live changes. */
export class PendingApprovals {
  private readonly byId = new Map<string, Approval>();
  /** Ids known to be decided, so a list read before a decision never brings one back as pending. */
  private readonly ended = new Set<string>();
  /** Ids the live feed added since the current read of the list began: a list read before them lacks them. */
  private readonly arrived = new Set<string>();

  /** Call before reading GET /api/approvals: what the live feed adds meanwhile survives {@link reset}. */
  startReading(): void {
    this.arrived.clear();
  }

  /**
   * Replaces the list with the engine's pending approvals (GET /api/approvals), keeping those the live feed
   * brought since {@link startReading} (the engine may have answered before they were requested).
   */
  reset(pending: readonly Approval[]): void {
    const kept = [...this.arrived].map((id) => this.byId.get(id)).filter((a) => a !== undefined);
    this.byId.clear();
    for (const approval of [...pending, ...kept])
      if (!this.ended.has(approval.id)) this.byId.set(approval.id, approval);
    this.arrived.clear();
  }

  /** Applies a change from /api/live. @returns true when the list changed */
  change(approval: Approval): boolean {
    if (approval.status === 'pending') {
      if (this.ended.has(approval.id) || this.byId.has(approval.id)) return false;
      this.byId.set(approval.id, approval);
      if (this.arrived.size < 10_000) this.arrived.add(approval.id);
      return true;
    }
    if (this.ended.size >= 10_000) this.ended.clear();
    this.ended.add(approval.id);
    return this.byId.delete(approval.id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** The tray's entries, newest first. */
  entries(): PendingApprovalEntry[] {
    return [...this.byId.values()]
      .sort((a, b) => b.requested_at - a.requested_at || (a.id < b.id ? 1 : -1))
      .map((approval) => ({ id: approval.id, label: approvalLabel(approval) }));
  }
}
