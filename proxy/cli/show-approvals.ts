import { asRecord } from '../anthropic/message.js';
import type { ApprovalDecidedPayload, ApprovalRequestedPayload } from '../policy/approvals/record.js';
import { clip, clock, count, timestamp } from './format.js';

/**
 * `approval.requested` and `approval.decided` as `glassbox show` tells them, one line each (policy/approvals/
 * record.ts has the payloads): who asked for what under which rule and until when; who decided what, for
 * how long, and why. Undefined for other kinds.
 */
export function approvalLine(kind: string, payload: unknown): string | undefined {
  const p = asRecord(payload);
  if (!p) return undefined;
  if (kind === 'approval.requested') {
    const r = p as Partial<ApprovalRequestedPayload>;
    const rule = asRecord(r.rule);
    const estimate =
      typeof r.context?.estimated_rows === 'number'
        ? ` · ≈ ${count(r.context.estimated_rows)} rows${r.context.estimate_of ? ` of ${r.context.estimate_of}` : ''}`
        : '';
    const expires = typeof r.expires_at === 'number' ? ` · expires ${clock(r.expires_at)}` : '';
    return `approval ${String(r.approval_id)} requested (rule ${String(rule?.id)}: ${String(rule?.message ?? '')}): ${clip(String(r.text ?? ''), 300)}${estimate}${expires}`;
  }
  if (kind === 'approval.decided') {
    const d = p as Partial<ApprovalDecidedPayload>;
    const by = d.by?.os_user
      ? ` by ${d.by.os_user}${d.by.self_approved ? ' (self-approved)' : ''} via ${d.by.via}`
      : '';
    const scope =
      d.scope?.type === 'session'
        ? ` · this rule in this session until ${timestamp(d.scope.until_us)}`
        : d.scope?.type === 'once'
          ? ' · once'
          : '';
    const reason = d.reason ? `: ${clip(d.reason, 500)}` : '';
    return `approval ${String(d.approval_id)} ${String(d.decision)}${by}${scope}${reason}`;
  }
  return undefined;
}
