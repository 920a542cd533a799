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
 *   approval's id, and the same statement (bytes, and Bind parameters for an Execute) passes once approved,
 *   in the same session (`covered`).
 *
 * Order is kept: bytes go upstream strictly in the order the client sent them, so nothing behind a held
 * statement is forwarded before it (guard-queue.ts); once 1 MiB waits behind it, the client's socket is not
 * read until the queue drains, so a client that keeps sending is held back by TCP, not kept in memory. Every frame is followed by the tracker when it arrives (the server will
 * see it, or its stand-in, in that order), so a held statement's `pg.statement` is recorded before the
 * approval is asked for. The statement is checked at Execute rather than at Parse: every execution of a
 * prepared statement is checked (postgres.js and pg re-execute named statements with Bind/Execute only).
 */
import { describeError } from '../common/errors.js';
import type {
  Approval,
  ApprovalBroker,
  ApprovalOutcome,
  ApprovalSubject,
  DecidingRule,
  Guard,
  GuardContext,
  GuardDecision,
  OperationFacts,
} from '../policy/guard/types.js';
import type { Execution } from './execution.js';
import type { Frame } from './framer.js';
import { type ApprovalContextSources, contextAtRequest, estimateLater } from './guard-context.js';
import { type Hold, HoldQueue } from './guard-queue.js';
import { ServerReading } from './guard-reading.js';
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
import { operationHash, type StatementText, StatementTexts } from './guard-statements.js';
import { FRONTEND } from './messages.js';
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
  /** The latest prompt of a Claude session driving this one, for the approver (guard-context.ts). */
  drivingPrompt?: ApprovalContextSources['drivingPrompt'];
  /**
   * Told how much waits behind held statements (monitoring, tests): after each batch of client frames taken
   * while something is held, and when a hold is decided.
   */
  onQueue?: (state: HeldQueueState) => void;
}

/** What waits behind a connection's held statements (see {@link PgGuardOptions.onQueue}). */
export interface HeldQueueState {
  session_id: string;
  /** Bytes of client messages queued behind (and including) the first undecided hold. */
  bytes: number;
  /** Whether the gate has stopped reading the client's socket until the queue drains. */
  paused: boolean;
}

/** One connection's settings for the gate. */
export interface GateSettings extends PgGuardOptions {
  guard: () => Guard | undefined;
  /** Who and where, for the rules (connection name, home, identity). */
  context: GuardContext;
  /** The Glassbox session, client and target, for approval subjects. */
  session: { id: string; client?: string; target?: string };
  /** The planner's row estimate of a held UPDATE/DELETE, on a side connection (row-estimate.ts). */
  estimate?: ApprovalContextSources['estimate'];
  /**
   * The server's ParameterStatus values at start-up (client_encoding, standard_conforming_strings); later
   * changes reach the gate through {@link GuardGate.parameter}.
   */
  parameters?: Record<string, string>;
}

/** Where the gate's output goes: the relay's tracker, recorder, outbox and client socket. */
export interface GateSinks {
  tracker: StatementTracker;
  recorder: PgRecorder;
  /** Bytes for the upstream, in the order they were sent (the relay's outbox). */
  upstream: (bytes: Buffer) => void;
  /** Bytes for the client at once (the NoticeResponse of a held statement). */
  client: (bytes: Buffer) => void;
  /**
   * Stops (`true`) or resumes reading the client's socket: stopped while more than MAX_QUEUED_BYTES (1 MiB,
   * guard-queue.ts) wait behind held statements, asked again after each batch read meanwhile.
   */
  clientFlow: (paused: boolean) => void;
}

/** Checks each statement of one connection against the guard and holds, refuses or forwards it. */
export class GuardGate {
  /** What each Query or Execute runs. */
  private readonly texts = new StatementTexts();
  /** Client messages on their way upstream, in order, behind undecided holds (guard-queue.ts). */
  private readonly queue: HoldQueue;
  /** What to do once the current batch's statements are recorded (their seqs known). */
  private after: Array<() => void> = [];
  private closed = false;
  /** How the server reads the session's statements (client_encoding, standard_conforming_strings). */
  private readonly reading: ServerReading;

  constructor(
    private readonly settings: GateSettings,
    private readonly sinks: GateSinks,
  ) {
    this.reading = new ServerReading(settings.parameters);
    this.queue = new HoldQueue({
      upstream: sinks.upstream,
      clientFlow: sinks.clientFlow,
      report: (state) => settings.onQueue?.({ session_id: settings.session.id, ...state }),
    });
  }

  /** A ParameterStatus from the server: see {@link ServerReading.parameter}. */
  parameter(name: string, value: string): void {
    this.reading.parameter(name, value);
  }

  /**
   * One frame from the client: followed by the tracker (with the guard's verdict when it is a statement) and
   * queued for the upstream as is, as its stand-in, or held. @throws ProtocolError for a malformed message
   */
  frame(frame: Frame, out: TrackerOutput): void {
    const sql = this.texts.of(frame);
    const guard = sql && this.settings.guard();
    if (!sql || !guard) {
      this.sinks.tracker.onFrontend(frame, out);
      this.send(frame.raw);
      return;
    }
    let checked: { facts: OperationFacts; decision: GuardDecision };
    try {
      checked = guard.sql(sql.text, this.reading.context(this.settings.context, sql.text));
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
    if (decision.action === 'allow') {
      this.sinks.tracker.onFrontend(frame, out);
      this.send(frame.raw);
      return;
    }
    // A decision other than allow names its rule (types.ts); one that does not is still enforced.
    const rule = decision.rule ?? { id: '(unnamed)', message: 'a policy rule', builtin: false };
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
    this.holdForApproval(frame, out, { sql, facts, rule, approvals });
  }

  /**
   * An `approve` decision: let through at once when a standing approval covers it, else held in the send
   * queue (its stand-in refused at once in `retry` mode) while the approval is asked for once it is recorded.
   */
  private holdForApproval(
    frame: Frame,
    out: TrackerOutput,
    asked: { sql: StatementText; facts: OperationFacts; rule: DecidingRule; approvals: ApprovalBroker },
  ): void {
    const { sql, facts, rule, approvals } = asked;
    const { session, context } = this.settings;
    const operation_hash = operationHash(sql);
    let covered: Approval | undefined;
    try {
      covered = approvals.covered({ session_id: session.id, operation_hash, rule });
    } catch (error) {
      this.refuse(frame, out, uncheckedError(describeError(error)), () => undefined);
      return;
    }
    if (covered) {
      this.sinks.tracker.onFrontend(frame, out);
      this.send(frame.raw);
      return;
    }
    const verdict: GuardVerdict = {};
    const hold: Hold = {
      original: frame.raw,
      standIn: standIn(frame),
      verdict,
      extended: frame.type === FRONTEND.Execute,
    };
    const execution = this.track(frame, out, verdict);
    this.send(hold);
    const retry = (this.settings.approvalMode?.() ?? 'hold') === 'retry';
    this.after.push(() => {
      if (this.closed || hold.bytes) return;
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
        // The broker keeps an approved `retry` request standing for the statement's second run (covered).
        ...(retry ? { mode: 'retry' as const } : {}),
      };
      const extra = contextAtRequest(this.settings);
      if (extra) subject.context = extra;
      let requested: ReturnType<ApprovalBroker['request']>;
      try {
        requested = approvals.request(subject);
      } catch (error) {
        return this.resolve(hold, uncheckedError(`asking for approval failed: ${describeError(error)}`));
      }
      const { approval, settled } = requested;
      hold.approval = approval;
      estimateLater(this.settings, approvals, approval, sql.text, facts);
      if (retry) return this.resolve(hold, retryError(approval));
      this.sinks.client(waitingNotice(approval));
      settled.then(
        (outcome) => this.settled(hold, outcome),
        (error: unknown) => this.resolve(hold, uncheckedError(describeError(error))),
      );
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
    this.queue.flush();
  }

  /**
   * A CancelRequest for this connection's backend: the first statement still waiting for approval is
   * withdrawn and refused with 57014, as a cancelled statement is. True when one was waiting.
   */
  cancel(): boolean {
    const [hold] = this.queue.undecided();
    if (!hold || hold.cancelled) return false;
    hold.cancelled = true;
    if (hold.approval) this.withdraw(hold.approval, 'the client cancelled the statement');
    return true;
  }

  /** The connection ended (`why`, for the approvals): those still pending are withdrawn, nothing more is sent. */
  close(why = 'the client disconnected'): void {
    if (this.closed) return;
    this.closed = true;
    for (const hold of this.queue.undecided()) if (hold.approval) this.withdraw(hold.approval, why);
    this.queue.clear();
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
    if (this.closed || hold.bytes) return;
    if (refusal) hold.verdict.refusal = refusal;
    hold.bytes = refusal ? hold.standIn : hold.original;
    if (refusal && hold.extended) {
      // After a refused Execute the server discards everything up to Sync (PostgreSQL docs, 55.2.3), so
      // holds behind it in that batch are moot: their approvals are withdrawn and their stand-ins sent.
      for (const moot of this.queue.skippedAfter(hold)) {
        moot.bytes = moot.standIn;
        if (moot.approval) this.withdraw(moot.approval, 'an earlier statement of its batch was refused');
      }
    }
    this.queue.drain();
  }

  /** Withdraws an approval; a broker failure here changes nothing for the client. */
  private withdraw(approval: Approval, why: string): void {
    try {
      this.settings.approvals?.withdraw(approval.id, why);
    } catch {
      // The statement is refused or gone either way.
    }
  }

  /** Queues a frame (or a hold) for the upstream in order (guard-queue.ts). */
  private send(entry: Buffer | Hold): void {
    this.queue.send(entry);
  }
}
