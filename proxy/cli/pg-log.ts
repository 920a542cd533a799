import { asRecord } from '../anthropic/message.js';
import type { RecordedEvent } from '../store/types.js';

/** A statement with its outcome, paired from `pg.statement` and `pg.result` events. */
export interface StatementEntry {
  seq: number;
  ts: number;
  statement: Record<string, unknown>;
  /** The sealed outcome, or undefined while the statement is still running. */
  result: Record<string, unknown> | undefined;
}

/** A PostgreSQL session's events in order: statements (with outcomes) and everything else. */
export type LogEntry = { kind: 'statement'; entry: StatementEntry } | { kind: 'event'; event: RecordedEvent };

/** Pairs each `pg.statement` with its `pg.result` (by statement_seq) and keeps other events in place. */
export function statementLog(events: Iterable<RecordedEvent>): LogEntry[] {
  const log: LogEntry[] = [];
  const open = new Map<number, StatementEntry>();
  for (const event of events) {
    const payload = asRecord(event.payload) ?? {};
    if (event.kind === 'pg.statement') {
      const entry: StatementEntry = { seq: event.seq, ts: event.ts, statement: payload, result: undefined };
      open.set(event.seq, entry);
      log.push({ kind: 'statement', entry });
    } else if (event.kind === 'pg.result') {
      const entry = open.get(Number(payload.statement_seq));
      if (entry) entry.result = payload;
    } else {
      log.push({ kind: 'event', event });
    }
  }
  return log;
}
