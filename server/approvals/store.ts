/**
 * Routed approvals in PostgreSQL (table `approvals`, server/migrations/0001_init.sql): created by the
 * requesting engine, decided by an approver of the group, withdrawn by the requester. Every change is one
 * transaction that ends with a NOTIFY on the live channel (delivered on commit to every server instance,
 * whose `/v1/live` sockets send the whole approval to the requester and the group's approvers).
 *
 * A pending approval past `expires_at` reads as `expired` (nobody has to write that) and can no longer be
 * decided; its row keeps `pending` until then.
 */
import type pg from 'pg';
import type {
  ApprovalDecisionBody,
  Approver,
  RoutedApproval,
  RoutedApprovalRequest,
} from '../../proxy/sync/protocol.js';
import type { Principal } from '../auth/principal.js';
import { inTransaction } from '../db/database.js';
import { LIVE_CHANNEL } from '../live/channel.js';
import type { LiveNotice } from '../live/hub.js';

/** A row of `approvals` as pg returns it (bigint parsed as number, see server/db/database.ts). */
interface ApprovalRow {
  id: string;
  session_id: string;
  request_seq: number;
  rule_id: string;
  group_name: string;
  allow_self_approval: boolean;
  what: unknown;
  requester: Approver;
  requester_subject: string;
  status: RoutedApproval['status'];
  requested_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: Approver | null;
  reason: string | null;
  scope: RoutedApproval['scope'];
}

/** The {@link Approver} a verified principal is. */
export function approverOf(principal: Principal): Approver {
  return {
    issuer: principal.issuer,
    subject: principal.subject,
    email: principal.email,
    name: principal.name,
    groups: principal.groups,
  };
}

/** Whether `principal` is the person who asked (issuer and subject). */
export function isRequester(principal: Principal, approval: Pick<RoutedApproval, 'requester'>): boolean {
  return approval.requester.issuer === principal.issuer && approval.requester.subject === principal.subject;
}

/** A row as the protocol shows it, `pending` past `expires_at` read as `expired`. `now` in µs. */
export function fromRow(row: ApprovalRow, now: number): RoutedApproval {
  const expired = row.status === 'pending' && row.expires_at <= now;
  return {
    id: row.id,
    session_id: row.session_id,
    request_seq: row.request_seq,
    rule_id: row.rule_id,
    group: row.group_name,
    allow_self_approval: row.allow_self_approval,
    what: row.what,
    requested_at: row.requested_at,
    expires_at: row.expires_at,
    requester: row.requester,
    status: expired ? 'expired' : row.status,
    decided_at: expired ? row.expires_at : row.decided_at,
    decided_by: row.decided_by,
    reason: expired ? 'nobody in the group decided before it expired' : row.reason,
    scope: row.scope,
  };
}

/** The outcome of {@link createApproval}: stored (or the same requester's resend), or an id another used. */
export type CreateResult = { type: 'created' | 'existing'; approval: RoutedApproval } | { type: 'taken' };

/**
 * Stores a new routed approval asked by `principal`. The same id sent again by the same person (an engine
 * retrying) answers the stored approval unchanged.
 * @throws the database's errors
 */
export async function createApproval(
  pool: pg.Pool,
  principal: Principal,
  request: RoutedApprovalRequest,
  now: number,
): Promise<CreateResult> {
  return inTransaction(pool, async (client) => {
    const inserted = await client.query<ApprovalRow>(
      `INSERT INTO approvals (id, session_id, request_seq, rule_id, group_name, allow_self_approval, what,
         requester, requester_subject, status, requested_at, expires_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'pending',$10,$11)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
      [
        request.id,
        request.session_id,
        request.request_seq,
        request.rule_id,
        request.group,
        request.allow_self_approval,
        JSON.stringify(request.what ?? null),
        JSON.stringify(approverOf(principal)),
        principal.subject,
        request.requested_at,
        request.expires_at,
      ],
    );
    const created = inserted.rows[0];
    if (created) {
      await notify(client, created);
      return { type: 'created', approval: fromRow(created, now) };
    }
    const existing = (await client.query<ApprovalRow>('SELECT * FROM approvals WHERE id = $1', [request.id]))
      .rows[0];
    if (!existing || !isRequester(principal, existing)) return { type: 'taken' };
    return { type: 'existing', approval: fromRow(existing, now) };
  });
}

/** One approval, or undefined. @throws the database's errors */
export async function readApproval(
  pool: pg.Pool | pg.PoolClient,
  id: string,
  now: number,
): Promise<RoutedApproval | undefined> {
  const row = (await pool.query<ApprovalRow>('SELECT * FROM approvals WHERE id = $1', [id])).rows[0];
  return row && fromRow(row, now);
}

/**
 * The approvals of `groups` (those the caller decides) and those `principal` asked, newest first, at most
 * `limit`; `pending` only those still open (not past `expires_at`).
 * @throws the database's errors
 */
export async function listApprovals(
  pool: pg.Pool,
  principal: Principal,
  groups: readonly string[],
  options: { pending: boolean; limit: number },
  now: number,
): Promise<RoutedApproval[]> {
  const rows = await pool.query<ApprovalRow>(
    `SELECT * FROM approvals
      WHERE (group_name = ANY($1::text[]) OR (requester_subject = $2 AND requester->>'issuer' = $3))
        AND ($4::boolean IS FALSE OR (status = 'pending' AND expires_at > $5))
      ORDER BY requested_at DESC, id DESC
      LIMIT $6`,
    [groups, principal.subject, principal.issuer, options.pending, now, options.limit],
  );
  return rows.rows.map((row) => fromRow(row, now));
}

/** Why a change was refused: no such approval, or no longer pending (with the approval as it is). */
export type ChangeResult =
  | { type: 'changed'; approval: RoutedApproval }
  | { type: 'unknown' }
  | { type: 'not_pending'; approval: RoutedApproval }
  | { type: 'refused'; approval: RoutedApproval };

/**
 * Ends a pending approval in one transaction (the row locked): `check` sees it as it is and may refuse
 * (`refused`: the route answers 403 with its own message); past `expires_at` it is `not_pending` (expired).
 * @throws the database's errors
 */
export async function endApproval(
  pool: pg.Pool,
  id: string,
  change: {
    status: 'approved' | 'denied' | 'withdrawn';
    by: Approver | null;
    reason: string | null;
    scope: RoutedApproval['scope'];
  },
  check: (approval: RoutedApproval) => boolean,
  now: number,
): Promise<ChangeResult> {
  return inTransaction(pool, async (client) => {
    const row = (await client.query<ApprovalRow>('SELECT * FROM approvals WHERE id = $1 FOR UPDATE', [id]))
      .rows[0];
    if (!row) return { type: 'unknown' };
    const approval = fromRow(row, now);
    if (!check(approval)) return { type: 'refused', approval };
    if (approval.status !== 'pending') return { type: 'not_pending', approval };
    const updated = (
      await client.query<ApprovalRow>(
        `UPDATE approvals SET status = $2, decided_at = $3, decided_by = $4, reason = $5, scope = $6
          WHERE id = $1 RETURNING *`,
        [
          id,
          change.status,
          now,
          change.by && JSON.stringify(change.by),
          change.reason,
          change.scope && JSON.stringify(change.scope),
        ],
      )
    ).rows[0]!;
    await notify(client, updated);
    return { type: 'changed', approval: fromRow(updated, now) };
  });
}

/** The scope a decision body asks for; `session` lasts `forSeconds` (default 15 minutes) from `now` (µs). */
export function scopeOf(body: ApprovalDecisionBody, now: number): RoutedApproval['scope'] {
  if (body.decision !== 'approved') return null;
  if (body.scope !== 'session') return { type: 'once' };
  return { type: 'session', until_us: now + (body.for_seconds ?? 900) * 1_000_000 };
}

/** NOTIFY (on commit) that `row` changed: ids only, since a row may exceed NOTIFY's 8000-byte payload. */
async function notify(client: pg.PoolClient, row: ApprovalRow): Promise<void> {
  const notice: LiveNotice = {
    type: 'approval',
    approval_id: row.id,
    group: row.group_name,
    requester: row.requester_subject,
  };
  await client.query('SELECT pg_notify($1, $2)', [LIVE_CHANNEL, JSON.stringify(notice)]);
}
