import { asRecord } from '../anthropic/message.js';
import type {
  ApprovalAnnotatedPayload,
  ApprovalDecidedPayload,
  ApprovalRequestedPayload,
} from '../policy/approvals/record.js';
import { clip, clock, count, timestamp } from './format.js';

/**
 * `approval.requested`, `approval.annotated` and `approval.decided` as `glassbox show` tells them, one line
 * each (policy/approvals/record.ts has the payloads): who asked for what under which rule and until when,
 * with the context the approver had (row estimate, the driving Claude session's prompt); who decided what,
 * for how long, and why. Undefined for other kinds.
 */
export function approvalLine(kind: string, payload: unknown): string | undefined {
  const p = asRecord(payload);
  if (!p) return undefined;
  if (kind === 'approval.requested') {
    const r = p as Partial<ApprovalRequestedPayload>;
    const rule = asRecord(r.rule);
    const expires = typeof r.expires_at === 'number' ? ` · expires ${clock(r.expires_at)}` : '';
    return `approval ${String(r.approval_id)} requested (rule ${String(rule?.id)}: ${String(rule?.message ?? '')}): ${clip(String(r.text ?? ''), 300)}${contextText(r.context)}${expires}`;
  }
  if (kind === 'approval.annotated') {
    const a = p as Partial<ApprovalAnnotatedPayload>;
    return `approval ${String(a.approval_id)} context:${contextText(a.context).replace(/^ ·/, '')}`;
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

/** An approval's context as ` · ≈ 12,000 rows of public.orders · prompt "…"`, or '' when it has none. */
function contextText(context: ApprovalRequestedPayload['context'] | undefined): string {
  const c = asRecord(context);
  if (!c) return '';
  const estimate =
    typeof c.estimated_rows === 'number'
      ? ` · ≈ ${count(c.estimated_rows)} rows${typeof c.estimate_of === 'string' ? ` of ${c.estimate_of}` : ''}`
      : '';
  const prompt =
    typeof c.prompt === 'string' ? ` · prompt "${clip(c.prompt.replace(/\s+/g, ' '), 200)}"` : '';
  return `${estimate}${prompt}`;
}
