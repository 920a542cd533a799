/**
 * How the PostgreSQL proxy refuses a statement the guard blocked (or an approval did not let through) while
 * keeping the server's transaction faithful (DESIGN.md, "Guardrails and just-in-time approvals"; issue 17).
 *
 * The statement is not forwarded; in its place goes a stand-in of the same kind that the server is certain
 * to refuse without doing anything: a Query whose text fails parse analysis, or an Execute of a portal that
 * does not exist. The server then does exactly what it would have done had the real statement failed: a
 * transaction block becomes failed (`E`, later statements get 25P02 from the server itself until ROLLBACK or
 * ROLLBACK TO SAVEPOINT), an implicit transaction (a multi-statement Query, an extended-protocol batch before
 * Sync) is rolled back, and in the extended protocol the server discards messages until Sync (PostgreSQL
 * docs, 55.2.3 "Extended Query"). The stand-in's ErrorResponse is rewritten into Glassbox's own (SQLSTATE
 * 42501 insufficient_privilege, or 57014 for a cancelled wait) on its way to the client — unless the server
 * answered 25P02, which PostgreSQL would have answered the real statement too.
 */
import type { Approval, ApprovalOutcome, DecidingRule, OperationFacts } from '../policy/guard/types.js';
import { errorResponse, noticeResponse, parseErrorFields } from './backend-messages.js';
import type { Frame } from './framer.js';
import { BACKEND, FRONTEND } from './messages.js';
import { Writer } from './wire.js';

/**
 * The guard's say on one Query or Execute, attached to the tracker's expectation of its reply. `refusal`,
 * once set, is the ErrorResponse (whole message) the client gets instead of the server's reply to the stand-in.
 */
export interface GuardVerdict {
  refusal?: Buffer;
}

/** SQLSTATE 42501 insufficient_privilege (PostgreSQL docs, Appendix A): what a refusal by policy answers. */
export const REFUSED_SQLSTATE = '42501';
/** SQLSTATE 25P02 in_failed_sql_transaction: the server's answer in a failed transaction, passed on as is. */
const IN_FAILED_TRANSACTION = '25P02';

/** A portal name no client uses: executing it fails with 34000 invalid_cursor_name. */
const REFUSED_PORTAL = 'glassbox: refused statement';
/** Fails in parse analysis (22P02), so nothing runs; the server's log says why. */
const REFUSED_QUERY = "SELECT 'Glassbox refused this statement'::pg_catalog.int4";

/**
 * The stand-in forwarded instead of a refused Query (`Q`) or Execute (`E`) frame: a Query that fails in parse
 * analysis, or an Execute of a portal that does not exist (PostgreSQL docs, 55.7 "Message Formats").
 */
export function standIn(frame: Frame): Buffer {
  if (frame.type === FRONTEND.Query) return new Writer().cstring(REFUSED_QUERY).frame('Q');
  return new Writer().cstring(REFUSED_PORTAL).int32(0).frame('E');
}

/**
 * The frame to pass to the client in place of `frame` from the server: Glassbox's refusal when `frame` is the
 * ErrorResponse (severity ERROR, not 25P02) answering a refused statement's stand-in, else `frame` itself.
 * @throws ProtocolError for a malformed ErrorResponse
 */
export function refusedReply(frame: Frame, verdict: GuardVerdict | undefined): Frame {
  if (!verdict?.refusal || frame.type !== BACKEND.ErrorResponse) return frame;
  const fields = parseErrorFields(frame.body);
  if ((fields.V ?? fields.S) !== 'ERROR' || fields.C === IN_FAILED_TRANSACTION) return frame;
  const raw = verdict.refusal;
  return { type: BACKEND.ErrorResponse, body: raw.subarray(5), raw };
}

/** The rule as messages name it: `rule pg.drop (Dropping tables is not allowed)`. */
function named(rule: DecidingRule): string {
  return `rule ${rule.id} (${rule.message})`;
}

/** The ErrorResponse for a statement a `block` rule refused. */
export function blockedError(rule: DecidingRule): Buffer {
  return errorResponse(
    REFUSED_SQLSTATE,
    `Glassbox blocked this statement: ${named(rule)}. Ask an approver to change the policy.`,
  );
}

/** The ErrorResponse for a statement an `approve` rule holds when no approval broker runs. */
export function noApprovalsError(rule: DecidingRule): Buffer {
  return errorResponse(
    REFUSED_SQLSTATE,
    `Glassbox: this statement needs approval (${named(rule)}), but approvals are not available in this engine; it was not run.`,
  );
}

/** The ErrorResponse for a statement the guard could not check (it throws): refused, never assumed safe. */
export function uncheckedError(why: string): Buffer {
  return errorResponse(
    REFUSED_SQLSTATE,
    `Glassbox could not check this statement against the policy (${why}); it was not run.`,
  );
}

/** The NoticeResponse a client gets at once when its statement is held for approval. */
export function waitingNotice(approval: Approval): Buffer {
  const { id, subject } = approval;
  const route = subject.rule.route;
  // Routed: the approvers of the group decide it on the team server, not the person running the client.
  const who = route
    ? `an approver of group "${route.group}" decides it through the team server`
    : `open the dashboard or run glassbox approve ${id}`;
  // 00000, as PostgreSQL's own RAISE NOTICE sends.
  return noticeResponse(
    '00000',
    `Glassbox: waiting for approval ${id} (rule ${subject.rule.id}: ${subject.rule.message}); ${who}`,
  );
}

/**
 * The ErrorResponse of `retry` mode: the approval is asked for, the statement refused until it is run again on
 * the same connection (the approval covers it in its own session only).
 */
export function retryError(approval: Approval): Buffer {
  const { id, subject } = approval;
  return errorResponse(
    REFUSED_SQLSTATE,
    `Glassbox: this statement needs approval (rule ${subject.rule.id}: ${subject.rule.message}); approval ${id} requested; run it again on this connection once approved (glassbox approve ${id})`,
  );
}

/** The ErrorResponse for a held statement whose approval was cancelled by the client (57014 query_canceled). */
export function cancelledError(approval: Approval | undefined): Buffer {
  const which = approval ? ` (Glassbox withdrew approval ${approval.id})` : '';
  return errorResponse('57014', `canceling statement due to user request${which}`);
}

/** The ErrorResponse for a held statement whose approval ended other than approved. */
export function outcomeError(outcome: Exclude<ApprovalOutcome, { status: 'approved' }>): Buffer {
  const { approval, status } = outcome;
  const rule = `rule ${approval.subject.rule.id}: ${approval.subject.rule.message}`;
  const by = approval.decided_by?.email ?? approval.decided_by?.os_user;
  const reason = approval.reason ? `: ${approval.reason}` : '';
  const text =
    status === 'denied'
      ? `Glassbox: approval ${approval.id} was denied${by ? ` by ${by}` : ''}${reason} (${rule}); the statement was not run`
      : status === 'expired'
        ? `Glassbox: approval ${approval.id} expired before anyone decided (${rule}); the statement was not run`
        : `Glassbox: approval ${approval.id} was withdrawn${reason} (${rule}); the statement was not run`;
  return errorResponse(REFUSED_SQLSTATE, text);
}

/**
 * What `guard.flagged` / `guard.blocked` events and approvals say of an operation's facts: for SQL its
 * effect, commands, tables and notable traits (no rows or values).
 */
export function factsSummary(facts: OperationFacts): Record<string, unknown> {
  if (facts.kind !== 'sql') return { kind: facts.kind };
  const { sql } = facts;
  return {
    kind: 'sql',
    effect: sql.effect,
    commands: sql.commands,
    reads: sql.reads,
    writes: sql.writes,
    no_where: sql.noWhere,
    ...(sql.functions.length > 0 ? { functions: sql.functions } : {}),
    ...(sql.copyProgram ? { copy_program: true } : {}),
    ...(sql.alterDrop ? { alter_drop: true } : {}),
    ...(sql.parseError ? { parse_error: sql.parseError } : {}),
  };
}
