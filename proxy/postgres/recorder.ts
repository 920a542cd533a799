import type { GroupCommit } from '../store/group-commit.js';
import type { Store } from '../store/store.js';
import type { UnansweredRule } from '../store/types.js';
import { detectorsOnlyPolicy } from './masking.js';
import { StorageMasking } from './storage-masking.js';
import type { Execution, ResultPayload } from './tracker.js';

/**
 * Stats key counting a session's statements still without an outcome: +1 with each `pg.statement`, −1 with
 * each `pg.result`. Recovery looks for outcomes to seal only in sessions where it is above 0.
 */
export const PG_AWAITING = 'awaiting_outcome';

/**
 * Start-up recovery rule: a `pg.statement` that no `pg.result` answers was cut short by a crash (in a session
 * left live) or had its outcome lost to a failing store (in one that ended).
 */
export const PG_UNANSWERED: UnansweredRule = {
  request: 'pg.statement',
  outcome: 'pg.result',
  ref: 'statement_seq',
  awaiting: PG_AWAITING,
  lost: (seq) => ({ ...lostOutcome(seq) }),
};

/** Events whose text comes from the server or the client and may hold anything (storage-masking.ts). */
const MASKED_EVENTS = new Set(['pg.error', 'pg.notice', 'pg.notification', 'pg.parameter']);

/**
 * Writes one PostgreSQL session's events through group commit: statements (`pg.statement`, before they are
 * forwarded), outcomes (`pg.result`, sealed when they complete, after the reply went out), and everything
 * else (`pg.session`, `pg.notice`, `pg.error`, …). Only statements hold bytes back; the rest are lazy writes
 * that nothing waits for, kept and retried in order while the store refuses writes (a full disk).
 *
 * Every payload is masked before it is written (storage-masking.ts): nothing a detector or column rule
 * matches reaches the store, the journal or the search index.
 *
 * Every recorded statement gets exactly one `pg.result`: the session's end seals each one whose outcome could
 * not be written as `recording_failed`, in the same write as `session.end`.
 */
export class PgRecorder {
  /**
   * SQL texts already in the full-text index for this session. Search finds sessions, so repeating a text
   * (a prepared statement run thousands of times) adds nothing but an index write per statement.
   */
  private readonly indexed = new Set<string>();
  /**
   * Seqs of recorded statements whose `pg.result` is not written. Kept as of the writes run so far (a batch
   * runs its writes before any is durable): a statement's seq is added by its write and taken back if that
   * fails; a result's write takes it out, and puts it back if that write is given up.
   */
  private readonly awaiting = new Set<number>();

  constructor(
    private readonly store: Store,
    private readonly commit: GroupCommit,
    readonly sessionId: string,
    /** Masks every payload before it is written (default: the built-in detectors, no column rules). */
    private readonly masking = new StorageMasking({
      connection: '',
      policy: detectorsOnlyPolicy,
      tables: undefined,
    }),
  ) {}

  /** Records statements; `then` runs once they are durable (or failed), before their bytes go upstream. */
  statements(executions: Execution[], then: (error?: Error) => void): void {
    const payloads = executions.map((execution) => this.masking.statement(execution.payload));
    // Decided before the write, so a write re-run after a rolled-back batch indexes the same texts.
    const texts = payloads.map((payload) => this.newText(payload.sql));
    this.commit.enqueue(
      () => {
        for (const [i, execution] of executions.entries()) {
          // No in-flight record: a statement's outcome never delays the reply, and start-up recovery finds
          // statements without a pg.result (PG_UNANSWERED). The SQL is indexed with the outcome, off this path.
          const { seq } = this.store.append(this.sessionId, 'pg.statement', payloads[i], {
            stats: { statements: 1, [PG_AWAITING]: 1 },
          });
          execution.seq = seq;
          execution.searchText = texts[i];
          this.awaiting.add(seq);
        }
      },
      (error) => {
        // Not recorded, so never forwarded: no outcome is owed (the seqs were given back with the batch).
        if (error) {
          for (const execution of executions) {
            this.awaiting.delete(execution.seq);
            execution.seq = 0;
          }
        }
        then(error);
      },
    );
  }

  private newText(sql: string | null): string | undefined {
    if (!sql || this.indexed.has(sql)) return undefined;
    if (this.indexed.size >= 10_000) this.indexed.clear();
    this.indexed.add(sql);
    return sql;
  }

  /** Seals a statement's outcome (nothing for one forwarded while recording was paused). */
  result(execution: Execution, outcome: ResultPayload['outcome']): void {
    if (execution.unrecorded) return;
    const payload = this.masking.result(execution.result(outcome), execution);
    let sealed = 0;
    this.commit.enqueueLazy(
      () => {
        // Writes run in order, so the statement's own write (queued earlier) has set its seq by now, unless
        // recording it failed, in which case there is nothing to seal.
        sealed = execution.seq;
        if (sealed === 0) return;
        payload.statement_seq = sealed; // in place: the key keeps its (sorted) position
        this.store.append(this.sessionId, 'pg.result', payload, {
          text: execution.searchText,
          stats: { rows: payload.rows, errors: payload.outcome === 'error' ? 1 : 0, [PG_AWAITING]: -1 },
        });
        this.awaiting.delete(sealed);
      },
      (error) => {
        // Given up (not merely retried later): the session's end seals it as recording_failed.
        if (error && sealed !== 0) this.awaiting.add(sealed);
      },
    );
  }

  /** `sql` masked as a `pg.statement` would store it (for an approval's subject, which the inbox shows). */
  maskedSql(sql: string): string {
    return this.masking.statement({ protocol: 'simple', sql }).sql ?? '';
  }

  /** Appends any other event; errors, notices, notifications and parameter changes masked first. */
  event(kind: string, payload: Record<string, unknown>, stats?: Record<string, number>): void {
    const masked = MASKED_EVENTS.has(kind) ? this.masking.event(payload) : payload;
    this.commit.enqueueLazy(() => this.store.append(this.sessionId, kind, masked, stats ? { stats } : {}));
  }

  /**
   * Ends the session with `reason` once everything queued before is written, sealing first every statement
   * whose outcome could not be recorded as `recording_failed`.
   */
  end(reason: string): void {
    let sealed: number[] = [];
    this.commit.enqueueLazy(
      () => {
        sealed = [...this.awaiting];
        for (const seq of sealed) {
          this.store.append(this.sessionId, 'pg.result', lostOutcome(seq), {
            stats: { errors: 1, [PG_AWAITING]: -1 },
          });
        }
        this.store.endSession(this.sessionId, reason);
      },
      (error) => {
        if (!error) for (const seq of sealed) this.awaiting.delete(seq);
      },
    );
  }
}

/**
 * The `pg.result` of a statement that was recorded and forwarded but whose outcome could not be recorded
 * (the store refused it): all that is known is that it went upstream.
 */
export function lostOutcome(statementSeq: number, detail?: string): ResultPayload {
  // Keys in sorted order, as Execution.result's (canonical JSON).
  return {
    columns: null,
    duration_us: 0,
    error: {
      sqlstate: '58030',
      severity: 'ERROR',
      message: `Glassbox could not record this statement's outcome${detail ? `: ${detail}` : ''}; it was forwarded to the server`,
    },
    outcome: 'recording_failed',
    rows: 0,
    sample: [],
    sample_truncated: false,
    statement_seq: statementSeq,
    tags: [],
  };
}
