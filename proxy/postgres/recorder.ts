import type { GroupCommit } from '../store/group-commit.js';
import type { Store } from '../store/store.js';
import type { UnansweredRule } from '../store/types.js';
import type { Execution, ResultPayload } from './tracker.js';

/** Start-up recovery rule: a `pg.statement` that no `pg.result` answers was cut short by a crash. */
export const PG_UNANSWERED: UnansweredRule = {
  request: 'pg.statement',
  outcome: 'pg.result',
  ref: 'statement_seq',
};

/**
 * Writes one PostgreSQL session's events through group commit: statements (`pg.statement`, before they are
 * forwarded), outcomes (`pg.result`, sealed when they complete, after the reply went out), and everything
 * else (`pg.session`, `pg.notice`, `pg.error`, …). Only statements hold bytes back; the rest are lazy writes
 * that nothing waits for.
 */
export class PgRecorder {
  /**
   * SQL texts already in the full-text index for this session. Search finds sessions, so repeating a text
   * (a prepared statement run thousands of times) adds nothing but an index write per statement.
   */
  private readonly indexed = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly commit: GroupCommit,
    readonly sessionId: string,
  ) {}

  /** Records statements; `then` runs once they are durable (or failed), before their bytes go upstream. */
  statements(executions: Execution[], then: (error?: Error) => void): void {
    // Decided before the write, so a write re-run after a rolled-back batch indexes the same texts.
    const texts = executions.map((execution) => this.newText(execution.payload.sql));
    this.commit.enqueue(() => {
      for (const [i, execution] of executions.entries()) {
        // No in-flight record: a statement's outcome never delays the reply, and start-up recovery finds
        // statements without a pg.result (PG_UNANSWERED). The SQL is indexed with the outcome, off this path.
        const { seq } = this.store.append(this.sessionId, 'pg.statement', execution.payload, {
          stats: { statements: 1 },
        });
        execution.seq = seq;
        execution.searchText = texts[i];
      }
    }, then);
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
    const payload = execution.result(outcome);
    this.commit.enqueueLazy(() => {
      // Writes run in order, so the statement's own write (queued earlier) has set its seq by now, unless
      // recording it failed, in which case there is nothing to seal.
      if (execution.seq === 0) return;
      payload.statement_seq = execution.seq; // in place: the key keeps its (sorted) position
      this.store.append(this.sessionId, 'pg.result', payload, {
        text: execution.searchText,
        stats: { rows: payload.rows, errors: payload.outcome === 'error' ? 1 : 0 },
      });
    });
  }

  /** Appends any other event. */
  event(kind: string, payload: Record<string, unknown>, stats?: Record<string, number>): void {
    this.commit.enqueueLazy(() => this.store.append(this.sessionId, kind, payload, stats ? { stats } : {}));
  }

  /** Ends the session with `reason` once everything queued before is written. */
  end(reason: string): void {
    this.commit.enqueueLazy(() => this.store.endSession(this.sessionId, reason));
  }
}
