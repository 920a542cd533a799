/**
 * Guardrail and approval events in a session's timeline (PostgreSQL statements and Claude conversations
 * alike): `approval.requested` (proxy/policy/approvals/record.ts) reads "waiting for approval ap_… — rule …"
 * with the time left until its `approval.decided` arrives, which then reads who decided what and why;
 * `guard.blocked` and `guard.flagged` name their rule. Fields are read defensively: guard events come from
 * enforcement points built elsewhere, with `rule` either an object `{id, message}` or an id beside `message`.
 */
import { memo } from 'react';
import type { RecordedEvent } from '../../../proxy/api/types';
import { timeLeft } from '../approvals/facts';
import { asRecord } from '../claude/conversation';
import { clock, clockMs } from '../format';
import { RouteLink } from '../ui/nav';
import { useNow } from '../ui/useNow';

/** The event kinds this file describes. */
export const GUARD_KINDS: ReadonlySet<string> = new Set([
  'approval.requested',
  'approval.decided',
  'guard.blocked',
  'guard.flagged',
]);

/** How an approval ended, from its `approval.decided` payload. */
export interface ApprovalOutcome {
  decision: string;
  by: string | null;
}

/** One guard event as the timeline shows it. */
export interface GuardLine {
  text: string;
  tone: 'info' | 'warn' | 'error';
  /** The approval it concerns (links to the inbox). */
  approvalId?: string;
  /** Set while an `approval.requested` has no decision yet: when it expires, µs since epoch. */
  waitingUntil?: number;
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** Decisions recorded in `events`, by approval id. */
export function approvalOutcomes(events: readonly RecordedEvent[]): Map<string, ApprovalOutcome> {
  const outcomes = new Map<string, ApprovalOutcome>();
  for (const event of events) {
    if (event.kind !== 'approval.decided') continue;
    const p = asRecord(event.payload) ?? {};
    const id = str(p.approval_id);
    if (id)
      outcomes.set(id, { decision: str(p.decision) ?? 'decided', by: str(asRecord(p.by)?.os_user) ?? null });
  }
  return outcomes;
}

/** Request seqs of statements held for an approval not yet decided, with the approval's id. */
export function heldStatements(
  events: readonly RecordedEvent[],
  outcomes: ReadonlyMap<string, ApprovalOutcome>,
): Map<number, string> {
  const held = new Map<number, string>();
  for (const event of events) {
    if (event.kind !== 'approval.requested') continue;
    const p = asRecord(event.payload) ?? {};
    const id = str(p.approval_id);
    if (id && !outcomes.has(id) && typeof p.request_seq === 'number') held.set(p.request_seq, id);
  }
  return held;
}

/** The rule an event names: `rule: {id, message}`, or `rule: "id"` beside `message`. */
function ruleOf(p: Record<string, unknown>): string {
  const rule = asRecord(p.rule);
  const id = str(rule?.id) ?? str(p.rule) ?? str(p.rule_id);
  const message = str(rule?.message) ?? str(p.message);
  if (!id && !message) return 'a rule';
  return `rule ${id ?? '?'}${message ? `: ${message}` : ''}`;
}

/** The operation a guard event concerns, when it says (clipped). */
function operationOf(p: Record<string, unknown>): string {
  const text = str(p.text) ?? str(p.sql) ?? str(p.command) ?? str(p.tool);
  if (!text) return '';
  const line = text.replace(/\s+/g, ' ').trim();
  return ` — ${line.length > 160 ? `${line.slice(0, 160)}…` : line}`;
}

/** A guard or approval event in words, or undefined for other kinds. */
export function describeGuardEvent(
  event: Pick<RecordedEvent, 'kind' | 'payload'>,
  outcomes: ReadonlyMap<string, ApprovalOutcome>,
): GuardLine | undefined {
  const p = asRecord(event.payload) ?? {};
  const approvalId = str(p.approval_id);
  const ids = approvalId ? { approvalId } : {};
  switch (event.kind) {
    case 'approval.requested': {
      const outcome = approvalId ? outcomes.get(approvalId) : undefined;
      if (!outcome) {
        return {
          text: `waiting for approval ${approvalId ?? '?'} — ${ruleOf(p)}`,
          tone: 'warn',
          ...ids,
          ...(typeof p.expires_at === 'number' ? { waitingUntil: p.expires_at } : {}),
        };
      }
      return {
        text: `approval ${approvalId} requested — ${ruleOf(p)} (${outcome.decision})`,
        tone: 'info',
        ...ids,
      };
    }
    case 'approval.decided': {
      const decision = str(p.decision) ?? 'decided';
      const by = asRecord(p.by);
      const who = str(by?.os_user) ?? str(by?.email);
      const byText = who
        ? ` by ${who}${by?.self_approved === true ? ' (self-approved)' : ''}${str(by?.via) ? ` via ${str(by?.via)}` : ''}`
        : '';
      const scope = asRecord(p.scope);
      const scopeText =
        scope?.type === 'session' && typeof scope.until_us === 'number'
          ? ` · this rule in this session until ${clock(scope.until_us)}`
          : scope?.type === 'once'
            ? ' · once'
            : '';
      const reason = str(p.reason) ? `: ${str(p.reason)}` : '';
      const tone = decision === 'approved' ? 'info' : decision === 'denied' ? 'error' : 'warn';
      return {
        text: `approval ${approvalId ?? '?'} ${decision}${byText}${scopeText}${reason}`,
        tone,
        ...ids,
      };
    }
    case 'guard.blocked':
      return { text: `blocked by ${ruleOf(p)}${operationOf(p)}`, tone: 'error' };
    case 'guard.flagged':
      return { text: `flagged by ${ruleOf(p)}${operationOf(p)}`, tone: 'warn' };
    default:
      return undefined;
  }
}

/** Time left of a waiting approval, ticking every second. */
function Waiting({ until }: { until: number }) {
  const now = useNow(1000);
  return <span className="time-left mono"> · {timeLeft(until, now)}</span>;
}

/** A guard or approval event in place in a session's timeline, linking to the approval in the inbox. */
export const GuardEventLine = memo(function GuardEventLine({
  event,
  line,
}: {
  event: Pick<RecordedEvent, 'kind' | 'ts' | 'seq'>;
  line: GuardLine;
}) {
  return (
    <div
      className={`event-line guard-line tone-${line.tone}`}
      data-testid="guard-event"
      data-kind={event.kind}
    >
      <span className="mono faint">{clockMs(event.ts)}</span> <span className="mono">{event.kind}</span>{' '}
      <span data-testid="guard-text">{line.text}</span>
      {line.waitingUntil !== undefined ? <Waiting until={line.waitingUntil} /> : null}
      {line.approvalId ? (
        <RouteLink to={`/approvals/${line.approvalId}`} className="approval-link" testId="approval-link">
          open in Approvals
        </RouteLink>
      ) : null}
    </div>
  );
});
