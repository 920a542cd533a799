import type { Database as Db } from 'better-sqlite3';
import type { JournalPosition } from './journal.js';
import { applyOps, type StoreOp } from './ops.js';
import { prepareStatements } from './rows.js';

/** Applies ops and records the journal position they reach, in one SQLite transaction. */
export type ApplyTransaction = (ops: readonly StoreOp[], position: JournalPosition | undefined) => void;

/** The SQLite side of ingestion on one connection: the apply transaction and the journal position. */
export interface Applier {
  transaction: ApplyTransaction;
  /** The journal position SQLite holds (the start when none is recorded yet). */
  appliedPosition(): JournalPosition;
}

/** Prepares the apply transaction and journal-position statements on `db` (the engine's or a worker's). */
export function createApplier(db: Db, sql = prepareStatements(db)): Applier {
  const readState = db.prepare('SELECT generation, byte_offset AS offset FROM journal_state WHERE id = 1');
  const writeState = db.prepare(
    'INSERT OR REPLACE INTO journal_state (id, generation, byte_offset) VALUES (1, ?, ?)',
  );
  return {
    transaction: db.transaction((ops: readonly StoreOp[], position: JournalPosition | undefined) => {
      applyOps(sql, ops);
      if (position) writeState.run(position.generation, position.offset);
    }),
    appliedPosition: () => (readState.get() as JournalPosition | undefined) ?? { generation: 0, offset: 0 },
  };
}

/**
 * Applies `ops` (journaled up to `position`) in one transaction. Should it fail, each op is applied on its
 * own so that one bad row cannot hold back the rest; a bad one is reported through `warn` and skipped (the
 * journal keeps it until its file is rotated), and the position is still recorded.
 * @returns the number of transactions committed
 * @throws the transaction's error when there is no position (the write is not journaled, so the caller
 *   must learn it failed)
 */
export function applyWithFallback(
  transaction: ApplyTransaction,
  ops: readonly StoreOp[],
  position: JournalPosition | undefined,
  warn: (message: string) => void,
): number {
  try {
    transaction(ops, position);
    return 1;
  } catch (batchError) {
    if (!position) throw batchError;
    let committed = 0;
    for (const op of ops) {
      try {
        transaction([op], undefined);
        committed++;
      } catch (error) {
        warn(`could not apply a ${op.op} write to SQLite: ${(error as Error).message}`);
      }
    }
    transaction([], position);
    return committed + 1;
  }
}

/** True when journal position `a` is at or past `b`. */
export function reached(a: JournalPosition, b: JournalPosition): boolean {
  return a.generation > b.generation || (a.generation === b.generation && a.offset >= b.offset);
}
