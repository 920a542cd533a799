/**
 * How approvals are recorded: the `approval.requested` and `approval.decided` events in the requesting
 * session's chain, and the `approvals` table row (store/migrations.ts, 6) beside them, written together in
 * one store batch (one journal line), so the table never says what the chain does not.
 */
import { nowMicros } from '../../common/time.js';
import type { Store } from '../../store/store.js';
import type { ApprovalRow } from '../../store/types.js';
import type { Approval, ApprovalStatus, ApprovalSubject } from '../guard/types.js';

/** Payload of `approval.requested`: the approval's id, when it expires, and the whole subject (masked). */
export interface ApprovalRequestedPayload extends Omit<ApprovalSubject, 'session_id'> {
  approval_id: string;
  /** µs since epoch. */
  expires_at: number;
}

/** Payload of `approval.decided`: how it ended, who decided (null when nobody did), when, why, for what. */
export interface ApprovalDecidedPayload {
  approval_id: string;
  /** The event that asked, in this session. */
  request_seq: number;
  decision: Exclude<ApprovalStatus, 'pending'>;
  by: Approval['decided_by'] | null;
  /** µs since epoch (the event's own time, too). */
  at: number;
  reason: string | null;
  scope: Approval['scope'] | null;
}

/**
 * Records a new approval: `approval.requested` in its session's chain and its row. The event's time is the
 * approval's `requested_at` (it may move forward to stay after the session's last event).
 * @returns the approval as recorded
 * @throws Error for an unknown session; StoreUnavailableError when the store refuses writes
 */
export function recordRequested(store: Store, approval: Approval): Approval {
  const { session_id, ...subject } = approval.subject;
  const payload: ApprovalRequestedPayload = {
    approval_id: approval.id,
    ...subject,
    expires_at: approval.expires_at,
  };
  const at = eventTime(store, session_id, approval.requested_at);
  const recorded = {
    ...approval,
    requested_at: at,
    expires_at: approval.expires_at + (at - approval.requested_at),
  };
  payload.expires_at = recorded.expires_at;
  store.batch(() => {
    store.append(session_id, 'approval.requested', payload, {
      ts: at,
      text: `approval ${approval.id} requested (${approval.subject.rule.id}): ${approval.subject.text}`,
    });
    store.approvals.put(toRow(recorded));
  });
  return recorded;
}

/**
 * Records how a pending approval ended: `approval.decided` and its row, now `approval.status`.
 * @returns the approval as recorded (`decided_at` is the event's time)
 * @throws StoreUnavailableError when the store refuses writes; nothing changed then
 */
export function recordDecided(store: Store, approval: Approval): Approval {
  const decision = approval.status as ApprovalDecidedPayload['decision'];
  const sessionId = approval.subject.session_id;
  const at = eventTime(store, sessionId, approval.decided_at ?? 0);
  const recorded: Approval = { ...approval, decided_at: at };
  const payload: ApprovalDecidedPayload = {
    approval_id: approval.id,
    request_seq: approval.subject.request_seq,
    decision,
    by: approval.decided_by ?? null,
    at,
    reason: approval.reason ?? null,
    scope: approval.scope ?? null,
  };
  // A routed decision's approver has no OS user here: the identity the team server verified names them.
  const who = approval.decided_by?.os_user ?? approval.decided_by?.email ?? approval.decided_by?.subject;
  const by = who ? ` by ${who}` : '';
  store.batch(() => {
    store.append(sessionId, 'approval.decided', payload, {
      ts: at,
      text: `approval ${approval.id} ${decision}${by}: ${approval.reason ?? ''}`,
    });
    store.approvals.put(toRow(recorded));
  });
  return recorded;
}

/** Payload of `approval.annotated`: context for the approver that came after the request. */
export interface ApprovalAnnotatedPayload {
  approval_id: string;
  /** The event that asked, in this session. */
  request_seq: number;
  /** What was added (merged into the subject's `context`). */
  context: NonNullable<ApprovalSubject['context']>;
}

/**
 * Records context added to a pending approval: `approval.annotated` in its session's chain and its row (whose
 * subject now carries the merged `context`), in one batch.
 * @throws StoreUnavailableError when the store refuses writes; nothing changed then
 */
export function recordAnnotated(
  store: Store,
  approval: Approval,
  context: NonNullable<ApprovalSubject['context']>,
): void {
  const sessionId = approval.subject.session_id;
  const payload: ApprovalAnnotatedPayload = {
    approval_id: approval.id,
    request_seq: approval.subject.request_seq,
    context,
  };
  const words = Object.entries(context).map(([key, value]) => `${key}=${String(value).slice(0, 80)}`);
  store.batch(() => {
    store.append(sessionId, 'approval.annotated', payload, {
      ts: eventTime(store, sessionId, nowMicros()),
      text: `approval ${approval.id} context: ${words.join(' ')}`,
    });
    store.approvals.put(toRow(approval));
  });
}

/**
 * The time an event of the session is recorded at: `wanted` (µs since epoch), or the session's last event's
 * time when that is later (a session's events are ordered in time, see store/heads.ts).
 */
function eventTime(store: Store, sessionId: string, wanted: number): number {
  return Math.max(wanted, store.liveness(sessionId)?.last_event_at ?? 0);
}

/** The table row of an approval. */
export function toRow(approval: Approval): ApprovalRow {
  return {
    id: approval.id,
    session_id: approval.subject.session_id,
    request_seq: approval.subject.request_seq,
    rule_id: approval.subject.rule.id,
    what: JSON.stringify(approval.subject),
    status: approval.status,
    requested_at: approval.requested_at,
    expires_at: approval.expires_at,
    decided_at: approval.decided_at ?? null,
    decided_by: approval.decided_by ? JSON.stringify(approval.decided_by) : null,
    reason: approval.reason ?? null,
    scope: approval.scope ? JSON.stringify(approval.scope) : null,
  };
}

/** An approval from its table row. @throws SyntaxError when a JSON column is not JSON */
export function fromRow(row: ApprovalRow): Approval {
  const approval: Approval = {
    id: row.id,
    subject: JSON.parse(row.what) as ApprovalSubject,
    status: row.status as ApprovalStatus,
    requested_at: row.requested_at,
    expires_at: row.expires_at,
  };
  if (row.decided_at !== null) approval.decided_at = row.decided_at;
  if (row.decided_by !== null) approval.decided_by = JSON.parse(row.decided_by) as Approval['decided_by'];
  if (row.reason !== null) approval.reason = row.reason;
  if (row.scope !== null) approval.scope = JSON.parse(row.scope) as Approval['scope'];
  return approval;
}

/** An approval from its row, or undefined when the row cannot be read (a JSON column damaged by hand). */
export function readRow(row: Parameters<typeof fromRow>[0]): Approval | undefined {
  try {
    const approval = fromRow(row);
    const { subject } = approval;
    const readable =
      typeof subject === 'object' &&
      subject !== null &&
      typeof subject.text === 'string' &&
      typeof subject.rule?.id === 'string';
    return readable ? approval : undefined;
  } catch {
    return undefined;
  }
}

/** A pending row whose subject cannot be read, rebuilt from its plain columns so it can still be withdrawn. */
export function brokenRow(row: Parameters<typeof fromRow>[0]): Approval {
  const subject = {
    session_id: row.session_id,
    request_seq: row.request_seq,
    kind: 'tool',
    text: '(unreadable)',
    operation_hash: '',
    facts: { kind: 'tool', tool: '(unreadable)' },
    rule: { id: row.rule_id, message: '', builtin: false },
  } satisfies ApprovalSubject;
  return {
    id: row.id,
    subject,
    status: 'pending',
    requested_at: row.requested_at,
    expires_at: row.expires_at,
  };
}
