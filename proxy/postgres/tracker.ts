import { PasswordEchoes } from '../policy/sql-passwords.js';
import {
  type ErrorFields,
  type FieldDescription,
  parseCommandComplete,
  parseDataRow,
  parseErrorFields,
  parseParameterDescription,
  parseParameterStatus,
  parseReadyForQuery,
  parseRowDescription,
} from './backend-messages.js';
import {
  Execution,
  type PreparedStatement,
  type RecordedError,
  type ResultPayload,
  recordError,
} from './execution.js';
import type { Frame } from './framer.js';
import {
  parseBind,
  parseExecute,
  parseFunctionCall,
  parseParse,
  parseQuery,
  parseTarget,
} from './frontend-messages.js';
import type { GuardVerdict } from './guard-refusals.js';
import { BACKEND, FRONTEND } from './messages.js';
import { notRunWhileSkipping } from './skip-till-sync.js';
import { StatementsAndPortals } from './statements-and-portals.js';
import {
  boundExecution,
  notificationPayload,
  portalExecution,
  sampleRow,
  type TrackerOutput,
} from './tracker-output.js';
import { ProtocolError } from './wire.js';

export type { RecordedError, RecordedParam, ResultPayload, StatementPayload } from './execution.js';
export { Execution } from './execution.js';

type Expectation =
  | { kind: 'parse'; name: string; statement: PreparedStatement }
  | { kind: 'bind' | 'close' | 'describe' | 'flush'; sql?: string | null }
  | { kind: 'execute' | 'query'; execution: Execution; verdict?: GuardVerdict }
  | { kind: 'function'; execution: Execution }
  | { kind: 'sync' };

/**
 * Follows one connection's query traffic (PostgreSQL docs, 55.2.2 "Simple Query", 55.2.3 "Extended Query",
 * 55.2.5 "Function Call", 55.2.6 "COPY Operations", 55.2.7 "Asynchronous Operations") and turns it into
 * statements and outcomes. Pipelining is handled with a FIFO of the replies each frontend message expects;
 * after an ErrorResponse the server skips to the next Sync, and so does the tracker.
 *
 * Pure bookkeeping: it neither reads sockets nor writes the store. The relay feeds it every frame and acts on
 * its {@link TrackerOutput} (tracker-output.ts, which also builds the executions). The session's prepared
 * statements and portals are kept in {@link StatementsAndPortals}.
 */
export class StatementTracker {
  private readonly prepared = new StatementsAndPortals();
  private readonly expected: Expectation[] = [];
  /**
   * Describe targets awaiting their RowDescription / NoData, in order. What is described is captured when the
   * Describe is sent: later messages of the same pipeline may reuse the name before the reply arrives.
   */
  private readonly describing: Array<{ statement?: PreparedStatement; portal?: { execution: Execution } }> =
    [];
  /** In COPY FROM STDIN, the server ignores Sync and Flush until CopyDone or CopyFail. */
  private copyIn = false;
  /**
   * After an error in the extended protocol the server ignores every message until Sync (PostgreSQL docs,
   * 55.2.3). Set when that error arrives before the client's Sync: messages the client sends from then on up to
   * its Sync get no reply, so they must not wait for one. Holds the error they fail with.
   */
  private skippingTillSync: RecordedError | undefined;
  /** Passwords redacted from this session's SQL, scrubbed from the errors that quote them back. */
  private readonly echoes = new PasswordEchoes();

  constructor(private readonly sampleRows = 20) {}

  /** The statement the server's next reply belongs to, if any. */
  current(): Execution | undefined {
    return this.currentExecution();
  }

  /** Statements sent but not finished (sealed as aborted when the connection ends). */
  pending(): Execution[] {
    return this.expected.flatMap((e) => ('execution' in e ? [e.execution] : []));
  }

  /** The guard's verdict on the statement the server's next reply belongs to (guard-gate.ts), if any. */
  verdict(): GuardVerdict | undefined {
    const head = this.expected[0];
    return head && (head.kind === 'query' || head.kind === 'execute') ? head.verdict : undefined;
  }

  /**
   * A message from the client. Statements to record go to `out.record`; the outcome of one the server will
   * skip goes to `out.emitted`. `verdict`: the guard's on a Query or Execute (its reply may be rewritten).
   * @throws ProtocolError for a malformed message
   */
  onFrontend(frame: Frame, out: TrackerOutput, verdict?: GuardVerdict): void {
    // Sync and Flush have no body. PostgreSQL answers one that has with an error (after a Flush, skipping to the
    // next Sync) that no reply the tracker expects would match: refuse it as the malformed message it is.
    if ((frame.type === FRONTEND.Sync || frame.type === FRONTEND.Flush) && frame.body.length > 0) {
      const name = frame.type === FRONTEND.Sync ? 'Sync' : 'Flush';
      throw new ProtocolError(`invalid message format: ${name} with a body of ${frame.body.length} bytes`);
    }
    if (this.skippingTillSync) {
      if (frame.type !== FRONTEND.Sync && frame.type !== FRONTEND.Terminate) {
        if (frame.type === FRONTEND.CopyDone || frame.type === FRONTEND.CopyFail) this.copyIn = false;
        const notRun = notRunWhileSkipping(
          frame,
          this.skippingTillSync,
          (portal) => this.prepared.portal(portal)?.execution,
        );
        if (notRun) {
          out.record.push(notRun);
          out.emitted.push({ type: 'result', execution: notRun, outcome: 'error' });
        }
        return;
      }
      this.skippingTillSync = undefined;
    }
    switch (frame.type) {
      case FRONTEND.Query: {
        const sql = parseQuery(frame.body);
        this.prepared.forgetDeallocated(sql);
        const execution = new Execution({ protocol: 'simple', sql: this.echoes.redact(sql) }, null);
        out.record.push(execution);
        this.expected.push(verdict ? { kind: 'query', execution, verdict } : { kind: 'query', execution });
        return;
      }
      case FRONTEND.Parse: {
        // Takes effect on ParseComplete: a Parse the server refuses must not rename what a later Bind runs.
        const parse = parseParse(frame.body);
        const statement: PreparedStatement = {
          sql: this.echoes.redact(parse.query),
          paramTypes: parse.paramTypes,
          columns: null,
        };
        this.expected.push({ kind: 'parse', name: parse.name, statement });
        return;
      }
      case FRONTEND.Bind: {
        const bind = parseBind(frame.body);
        const statement = this.statementNamed(bind.statement);
        const execution = boundExecution(bind, statement);
        this.prepared.bound(bind.portal, { statement: bind.statement, execution });
        this.expected.push({ kind: 'bind', sql: statement?.sql ?? null });
        return;
      }
      case FRONTEND.Execute: {
        const { portal, maxRows } = parseExecute(frame.body);
        const bound = this.prepared.portal(portal);
        // Executing the same portal again (after PortalSuspended) is a new execution of the same statement.
        const execution = portalExecution(bound?.execution, portal, maxRows);
        if (bound) bound.execution = execution;
        out.record.push(execution);
        this.expected.push(
          verdict ? { kind: 'execute', execution, verdict } : { kind: 'execute', execution },
        );
        return;
      }
      case FRONTEND.Describe: {
        const target = parseTarget(frame.body);
        // Capture the portal now: a later Bind in the same pipeline may reuse its name before the reply.
        this.describing.push(
          target.target === 'P'
            ? { portal: this.prepared.portal(target.name) }
            : { statement: this.statementNamed(target.name) },
        );
        this.expected.push({ kind: 'describe' });
        return;
      }
      case FRONTEND.Close: {
        const { target, name } = parseTarget(frame.body);
        this.prepared.close(target, name);
        this.expected.push({ kind: 'close' });
        return;
      }
      case FRONTEND.Sync:
        if (!this.copyIn) this.expected.push({ kind: 'sync' });
        return;
      case FRONTEND.CopyDone:
      case FRONTEND.CopyFail:
        this.copyIn = false;
        return;
      case FRONTEND.FunctionCall: {
        const call = parseFunctionCall(frame.body);
        const execution = new Execution(
          { protocol: 'function', sql: null, function_oid: call.functionOid },
          null,
        );
        out.record.push(execution);
        this.expected.push({ kind: 'function', execution });
        return;
      }
      default:
        // Flush, Terminate, CopyData/CopyDone/CopyFail: no reply of their own to match.
        return;
    }
  }

  /** A message from the server. @throws ProtocolError for a malformed message */
  onBackend(frame: Frame, out: TrackerOutput): void {
    switch (frame.type) {
      case BACKEND.DataRow:
        this.dataRow(frame.body);
        return;
      case BACKEND.CommandComplete: {
        const current = this.currentExecution();
        if (!current) return;
        current.tags.push(parseCommandComplete(frame.body));
        if (this.expected[0]?.kind === 'execute') this.finish(out, 'complete');
        return;
      }
      case BACKEND.EmptyQueryResponse:
        if (this.expected[0]?.kind === 'execute') this.finish(out, 'complete');
        return;
      case BACKEND.PortalSuspended:
        if (this.expected[0]?.kind === 'execute') this.finish(out, 'suspended');
        return;
      case BACKEND.RowDescription: {
        const columns = parseRowDescription(frame.body);
        if (this.expected[0]?.kind === 'describe') {
          this.described(columns);
          return;
        }
        const current = this.currentExecution();
        if (current) current.rowColumns = columns;
        // Several statements in one Query: columns and sample describe the first result set only.
        if (current && current.columns === null) current.columns = columns;
        else if (current) current.sampleClosed = true;
        return;
      }
      case BACKEND.NoData:
        if (this.expected[0]?.kind === 'describe') this.described(null);
        return;
      case BACKEND.ParameterDescription: {
        // A Describe of a statement: learn the parameter types the server inferred (the client may have sent
        // 0, "unspecified"); its RowDescription or NoData follows.
        const statement = this.describing[0]?.statement;
        if (statement) statement.paramTypes = parseParameterDescription(frame.body);
        return;
      }
      case BACKEND.ParseComplete: {
        const head = this.expected.shift();
        if (head?.kind === 'parse') this.prepared.accepted(head.name, head.statement);
        return;
      }
      case BACKEND.BindComplete:
      case BACKEND.CloseComplete:
        this.expected.shift();
        return;
      case BACKEND.CopyInResponse:
      case BACKEND.CopyOutResponse:
      case BACKEND.CopyBothResponse: {
        const current = this.currentExecution();
        if (current) current.copy = frame.type === BACKEND.CopyInResponse ? 'in' : 'out';
        if (frame.type === BACKEND.CopyInResponse) {
          this.copyIn = true;
          // Extended protocol: the Sync sent after Execute reached the server in COPY mode and was ignored;
          // the client sends another after CopyDone. Forget the first so replies stay matched.
          if (this.expected[0]?.kind === 'execute') {
            const sync = this.expected.findIndex((e) => e.kind === 'sync');
            if (sync !== -1) this.expected.splice(sync, 1);
          }
        }
        return;
      }
      case BACKEND.ErrorResponse:
        this.errorResponse(parseErrorFields(frame.body), out);
        return;
      case BACKEND.ReadyForQuery:
        this.readyForQuery(out);
        // Portals do not outlive their transaction; drop them when the session is idle again.
        if (parseReadyForQuery(frame.body) === 'I') this.prepared.transactionEnded();
        return;
      case BACKEND.FunctionCallResponse:
        return;
      case BACKEND.NoticeResponse: {
        const fields = parseErrorFields(frame.body);
        out.emitted.push({
          type: 'event',
          kind: 'pg.notice',
          payload: {
            ...this.echoes.scrub(recordError(fields)),
            during_seq: this.currentExecution()?.seq ?? null,
          },
        });
        return;
      }
      case BACKEND.NotificationResponse:
        out.emitted.push({
          type: 'event',
          kind: 'pg.notification',
          payload: notificationPayload(frame.body),
        });
        return;
      case BACKEND.ParameterStatus:
        out.emitted.push({
          type: 'event',
          kind: 'pg.parameter',
          payload: { ...parseParameterStatus(frame.body) },
        });
        return;
      default:
        return; // CopyData, CopyDone and the rest carry nothing the record needs
    }
  }

  private currentExecution(): Execution | undefined {
    const head = this.expected[0];
    return head && 'execution' in head ? head.execution : undefined;
  }

  private dataRow(body: Buffer): void {
    const current = this.currentExecution();
    if (!current) return;
    current.dataRows++;
    if (current.sampleClosed || current.unrecorded) return;
    if (current.sample.length >= this.sampleRows) {
      current.sampleTruncated = true;
      return;
    }
    current.sample.push(sampleRow(parseDataRow(body), current.resultFormats));
  }

  private described(columns: FieldDescription[] | null): void {
    this.expected.shift();
    const target = this.describing.shift();
    if (target?.statement) {
      const statement = target.statement;
      statement.columns = columns;
      // Clients such as postgres.js pipeline Parse, Describe, Bind and Execute: the description arrives after
      // the execution was created, so fill it in wherever this statement is already bound or running.
      for (const entry of this.expected) {
        if ('execution' in entry && entry.execution.statementRef === statement)
          entry.execution.columns ??= columns;
      }
      this.prepared.describedBound(statement, columns);
    } else if (target?.portal) {
      target.portal.execution.columns = columns;
    }
  }

  /** The statement a Bind or Describe names: the newest Parse of that name still in flight, else the accepted one. */
  private statementNamed(name: string): PreparedStatement | undefined {
    for (let i = this.expected.length - 1; i >= 0; i--) {
      const entry = this.expected[i]!;
      if (entry.kind === 'parse' && entry.name === name) return entry.statement;
    }
    return this.prepared.statement(name);
  }

  private finish(out: TrackerOutput, outcome: ResultPayload['outcome']): void {
    const head = this.expected.shift();
    if (head && 'execution' in head) out.emitted.push({ type: 'result', execution: head.execution, outcome });
  }

  private errorResponse(fields: ErrorFields, out: TrackerOutput): void {
    const error = this.echoes.scrub(recordError(fields));
    const head = this.expected[0];
    if (!head || head.kind === 'sync') {
      out.emitted.push({ type: 'event', kind: 'pg.error', payload: { ...error, context: 'connection' } });
      return;
    }
    if ('execution' in head) {
      head.execution.error = error;
      if (head.kind !== 'execute') return; // simple query and function call end at ReadyForQuery
    } else {
      if (head.kind === 'describe') {
        this.expected.shift();
        this.describing.shift();
      }
      out.emitted.push({
        type: 'event',
        kind: 'pg.error',
        payload: {
          ...error,
          context: head.kind,
          sql: head.kind === 'parse' ? head.statement.sql : (head.sql ?? null),
        },
      });
      // A Parse or Bind error belongs to the first statement that was to run with it; later ones are skipped.
      const failing = this.expected.find((e) => e.kind === 'execute' || e.kind === 'sync');
      if (failing && 'execution' in failing) failing.execution.error ??= error;
    }
    // Extended protocol: the server discards everything up to Sync; statements in between fail with it.
    while (this.expected.length > 0 && this.expected[0]!.kind !== 'sync') {
      const skipped = this.expected.shift()!;
      // Only the Describes being skipped lose their pending reply; those after the Sync still get theirs.
      if (skipped.kind === 'describe') this.describing.shift();
      if ('execution' in skipped) {
        skipped.execution.error ??= { ...error, message: `not run: ${error.message}` };
        out.emitted.push({ type: 'result', execution: skipped.execution, outcome: 'error' });
      }
    }
    // No Sync sent yet: the server goes on discarding what the client sends until its Sync.
    if (this.expected.length === 0) this.skippingTillSync = error;
  }

  private readyForQuery(out: TrackerOutput): void {
    const head = this.expected.shift();
    if (head && (head.kind === 'query' || head.kind === 'function')) {
      out.emitted.push({ type: 'result', execution: head.execution, outcome: 'complete' });
    }
  }
}
