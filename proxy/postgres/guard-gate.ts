/**
 * The PostgreSQL enforcement point of the guardrails (DESIGN.md, "Guardrails and just-in-time approvals";
 * issue 17, point 4): every statement a client runs — a Query message, or an Execute of a portal, checked by
 * the SQL its Parse carried — goes through the guard before it is forwarded.
 *
 * - `allow`: forwarded. `flag`: forwarded, and `guard.flagged` recorded.
 * - `block`: refused through a stand-in (guard-refusals.ts) so the server fails the transaction as it would
 *   have failed the statement; the client gets 42501; `guard.blocked` recorded.
 * - `approve`: unless a standing approval covers it, held. In `hold` mode it waits, recorded but not
 *   forwarded, while the client gets a NoticeResponse; approved, it goes on; denied, expired or withdrawn, it
 *   is refused (42501; 57014 when the client cancelled). In `retry` mode it is refused at once with the
 *   approval's id, and the same statement bytes pass once approved (`covered`).
 *
 * Order is kept: bytes go upstream strictly in the order the client sent them, so nothing behind a held
 * statement is forwarded before it. Every frame is followed by the tracker when it arrives (the server will
 * see it, or its stand-in, in that order), so a held statement's `pg.statement` is recorded before the
 * approval is asked for. The statement is checked at Execute rather than at Parse: every execution of a
 * prepared statement is checked (postgres.js and pg re-execute named statements with Bind/Execute only).
 */
import { createHash } from 'node:crypto';
import { describeError } from '../common/errors.js';
import type {
  Approval,
  ApprovalBroker,
  ApprovalOutcome,
  ApprovalSubject,
  Guard,
  GuardContext,
  GuardDecision,
  OperationFacts,
} from '../policy/guard/types.js';
import type { Execution } from './execution.js';
import type { Frame } from './framer.js';
import { parseBind, parseExecute, parseParse, parseQuery, parseTarget } from './frontend-messages.js';
import {
  blockedError,
  cancelledError,
  factsSummary,
  type GuardVerdict,
  noApprovalsError,
  outcomeError,
  retryError,
  standIn,
  uncheckedError,
  waitingNotice,
} from './guard-refusals.js';
import { FRONTEND } from './messages.js';
import { Pieces } from './pieces.js';
import type { PgRecorder } from './recorder.js';
import type { StatementTracker } from './tracker.js';
import type { TrackerOutput } from './tracker-output.js';

/** How `approve` rules hold a statement: wait on the connection, or refuse it until it is run again. */
export type ApprovalMode = 'hold' | 'retry';

/** What the proxy's options give the guard at each connection (see PgProxyOptions). */
export interface PgGuardOptions {
  /** The guard in effect, read at each statement; undefined: guardrails off (everything is allowed). */
  guard?: () => Guard | undefined;
  /** The approval broker; without one, a statement that needs approval is refused. */
  approvals?: ApprovalBroker;
  /** `approvals.mode`, read at each held statement (default `hold`). */
  approvalMode?: () => ApprovalMode;
}

/** One connection's settings for the gate. */
export interface GateSettings extends PgGuardOptions {
  guard: () => Guard | undefined;
  /** Who and where, for the rules (connection name, home, identity). */
  context: GuardContext;
  /** The Glassbox session, client and target, for approval subjects. */
  session: { id: string; client?: string; target?: string };
}

/** Where the gate's output goes: the relay's tracker, recorder, outbox and client socket. */
export interface GateSinks {
  tracker: StatementTracker;
  recorder: PgRecorder;
  /** Bytes for the upstream, in the order they were sent (the relay's outbox). */
  upstream: (bytes: Buffer) => void;
  /** Bytes for the client at once (the NoticeResponse of a held statement). */
  client: (bytes: Buffer) => void;
}

/** A statement held in the send queue until it is decided: `bytes` is what goes upstream once it is. */
interface Hold {
  original: Buffer;
  standIn: Buffer;
  verdict: GuardVerdict;
  bytes?: Buffer;
  approval?: Approval;
  /** The client sent a CancelRequest while it waited. */
  cancelled?: boolean;
}

/** The client's statement text, as bytes (what `once` approvals are keyed by) and as text. */
interface Sql {
  bytes: Buffer;
  text: string;
}

/** Checks each statement of one connection against the guard and holds, refuses or forwards it. */
export class GuardGate {
  /** Prepared statements and portals by name, with the SQL their Parse carried. */
  private readonly statements = new Map<string, Sql>();
  private readonly portals = new Map<string, Sql>();
  /** What waits behind an undecided hold, in order; empty when nothing is held. */
  private readonly queue: Array<Buffer | Hold> = [];
  private readonly ready = new Pieces();
  /** What to do once the current batch's statements are recorded (their seqs known). */
  private after: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly settings: GateSettings,
    private readonly sinks: GateSinks,
  ) {}

  /**
   * One frame from the client: followed by the tracker (with the guard's verdict when it is a statement) and
   * queued for the upstream as is, as its stand-in, or held. @throws ProtocolError for a malformed message
   */
  frame(frame: Frame, out: TrackerOutput): void {
    const sql = this.statementOf(frame);
    const guard = sql && this.settings.guard();
    if (!sql || !guard) {
      this.sinks.tracker.onFrontend(frame, out);
      this.send(frame.raw);
      return;
    }
    let checked: { facts: OperationFacts; decision: GuardDecision };
    try {
      checked = guard.sql(sql.text, this.settings.context);
    } catch (error) {
      // Never assumed safe: refused, and the reason recorded with it.
      this.refuse(frame, out, uncheckedError(describeError(error)), (execution) =>
        this.sinks.recorder.event('guard.blocked', {
          statement_seq: execution?.seq || null,
          reason: 'guard_failed',
          error: describeError(error),
        }),
      );
      return;
    }
    const { facts, decision } = checked;
    const rule = decision.rule;
    if (decision.action === 'allow' || !rule) {
      this.sinks.tracker.onFrontend(frame, out);
      this.send(frame.raw);
      return;
    }
    const summary = factsSummary(facts);
    const event = (kind: string, execution: Execution | undefined, extra: Record<string, unknown> = {}) =>
      this.sinks.recorder.event(kind, {
        rule: { id: rule.id, message: rule.message, builtin: rule.builtin },
        statement_seq: execution?.seq || null,
        facts: summary,
        ...extra,
      });
    if (decision.action === 'flag') {
      const execution = this.track(frame, out);
      this.send(frame.raw);
      this.after.push(() => event('guard.flagged', execution));
      return;
    }
    if (decision.action === 'block') {
      this.refuse(frame, out, blockedError(rule), (execution) => event('guard.blocked', execution));
      return;
    }
    const { approvals } = this.settings;
    if (!approvals) {
      this.refuse(frame, out, noApprovalsError(rule), (execution) =>
        event('guard.blocked', execution, { reason: 'no_approvals' }),
      );
      return;
    }
    const operation_hash = createHash('sha256').update(sql.bytes).digest('hex');
    const covered = approvals.covered({ session_id: this.settings.session.id, operation_hash, rule });
    if (covered) {
      this.sinks.tracker.onFrontend(frame, out);
      this.send(frame.raw);
      return;
    }
    const verdict: GuardVerdict = {};
    const hold: Hold = { original: frame.raw, standIn: standIn(frame), verdict };
    const execution = this.track(frame, out, verdict);
    this.send(hold);
    const retry = (this.settings.approvalMode?.() ?? 'hold') === 'retry';
    const { session, context } = this.settings;
    this.after.push(() => {
      if (this.closed) return;
      if (hold.cancelled) return this.resolve(hold, cancelledError(undefined));
      const subject: ApprovalSubject = {
        session_id: session.id,
        request_seq: execution?.seq ?? 0,
        kind: 'sql',
        text: this.sinks.recorder.maskedSql(sql.text),
        operation_hash,
        facts,
        rule,
        ...(session.client ? { client: session.client } : {}),
        ...(session.target ? { target: session.target } : {}),
        ...(context.identity ? { identity: context.identity } : {}),
      };
      const { approval, settled } = approvals.request(subject);
      hold.approval = approval;
      if (retry) return this.resolve(hold, retryError(approval));
      this.sinks.client(waitingNotice(approval));
      void settled.then((outcome) => this.settled(hold, outcome));
    });
  }

  /**
   * Runs once the statements of the frames given since the last call are recorded (seqs known): asks for
   * approvals, records guard events. Returns undefined when there is nothing to do.
   */
  takeAfterRecording(): (() => void) | undefined {
    if (this.after.length === 0) return undefined;
    const actions = this.after;
    this.after = [];
    return () => {
      for (const action of actions) action();
    };
  }

  /** Writes upstream what is ready to go (call after each batch of frames, after the relay took its hold). */
  flush(): void {
    const bytes = this.ready.take();
    if (bytes) this.sinks.upstream(bytes);
  }

  /**
   * A CancelRequest for this connection's backend: the first statement still waiting for approval is
   * withdrawn and refused with 57014, as a cancelled statement is. True when one was waiting.
   */
  cancel(): boolean {
    const hold = this.queue.find((entry): entry is Hold => !Buffer.isBuffer(entry) && !entry.bytes);
    if (!hold || hold.cancelled) return false;
    hold.cancelled = true;
    if (hold.approval)
      this.settings.approvals?.withdraw(hold.approval.id, 'the client cancelled the statement');
    return true;
  }

  /** The connection ended: approvals still pending are withdrawn, nothing more is sent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.queue) {
      if (!Buffer.isBuffer(entry) && !entry.bytes && entry.approval)
        this.settings.approvals?.withdraw(entry.approval.id, 'the client disconnected');
    }
    this.queue.length = 0;
    this.ready.take();
  }

  /** Follows a statement in the tracker; returns its execution (recorded with this batch). */
  private track(frame: Frame, out: TrackerOutput, verdict?: GuardVerdict): Execution | undefined {
    const before = out.record.length;
    this.sinks.tracker.onFrontend(frame, out, verdict);
    return out.record.length > before ? out.record.at(-1) : undefined;
  }

  /** Refuses a statement with `error`: its stand-in goes upstream, and `then` runs once it is recorded. */
  private refuse(
    frame: Frame,
    out: TrackerOutput,
    error: Buffer,
    then: (execution: Execution | undefined) => void,
  ): void {
    const execution = this.track(frame, out, { refusal: error });
    this.send(standIn(frame));
    this.after.push(() => then(execution));
  }

  private settled(hold: Hold, outcome: ApprovalOutcome): void {
    if (this.closed || hold.bytes) return;
    if (outcome.status === 'approved') this.resolve(hold, undefined);
    else if (hold.cancelled) this.resolve(hold, cancelledError(outcome.approval));
    else this.resolve(hold, outcomeError(outcome));
  }

  /** Decides a hold: its statement goes on (`refusal` undefined) or its stand-in does; then what waited behind. */
  private resolve(hold: Hold, refusal: Buffer | undefined): void {
    if (refusal) hold.verdict.refusal = refusal;
    hold.bytes = refusal ? hold.standIn : hold.original;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (Buffer.isBuffer(head)) this.ready.add(head);
      else if (head.bytes) this.ready.add(head.bytes);
      else break;
      this.queue.shift();
    }
    this.flush();
  }

  private send(entry: Buffer | Hold): void {
    if (this.queue.length === 0 && Buffer.isBuffer(entry)) this.ready.add(entry);
    else this.queue.push(entry);
  }

  /**
   * The SQL a Query or Execute frame runs (an Execute's from the Parse its portal was bound to); keeps the
   * names of prepared statements and portals from Parse, Bind and Close. Undefined for other messages and
   * for a portal Glassbox did not see bound (the server refuses to execute it).
   */
  private statementOf(frame: Frame): Sql | undefined {
    switch (frame.type) {
      case FRONTEND.Query:
        return { bytes: cstringAt(frame.body, 0), text: parseQuery(frame.body) };
      case FRONTEND.Parse: {
        const { name, query } = parseParse(frame.body);
        const bytes = Buffer.from(cstringAt(frame.body, frame.body.indexOf(0) + 1));
        this.statements.set(name, { bytes, text: query });
        return undefined;
      }
      case FRONTEND.Bind: {
        const { portal, statement } = parseBind(frame.body);
        const sql = this.statements.get(statement);
        if (sql) this.portals.set(portal, sql);
        else this.portals.delete(portal);
        return undefined;
      }
      case FRONTEND.Close: {
        const { target, name } = parseTarget(frame.body);
        (target === 'S' ? this.statements : this.portals).delete(name);
        return undefined;
      }
      case FRONTEND.Execute:
        return this.portals.get(parseExecute(frame.body).portal);
      default:
        return undefined;
    }
  }
}

/** The bytes of the C string at `offset` of a message body (checked by the parser already), without its NUL. */
function cstringAt(body: Buffer, offset: number): Buffer {
  return body.subarray(offset, body.indexOf(0, offset));
}
