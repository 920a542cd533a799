import type { Database as Db } from 'better-sqlite3';
import type { JournalPosition } from './journal.js';
import { applyOps, type StoreOp } from './ops.js';
import { prepareStatements } from './rows.js';

/** The SQLite side of ingestion on one connection (the engine's or the apply thread's). */
export interface Applier {
  /**
   * Applies `ops` and records the journal position they reach (when given), in one transaction (BEGIN
   * IMMEDIATE). A row the schema refuses (a constraint error: only possible for a corrupt or hand-edited
   * journal) is reported through `warn` and skipped, the rest applied. Any other error — the database locked
   * by another process, a full disk, I/O — rolls everything back and is thrown: the ops stay in the journal
   * and must be applied again later, never recorded as applied.
   * @returns the number of transactions committed (1)
   * @throws SqliteError for anything but a constraint error
   */
  apply(
    ops: readonly StoreOp[],
    position: JournalPosition | undefined,
    warn: (message: string) => void,
  ): number;
  /** The journal position SQLite holds (the start when none is recorded yet). */
  appliedPosition(): JournalPosition;
}

/** True for SQLite's constraint errors (UNIQUE, FOREIGN KEY, NOT NULL, …). */
export function isConstraintError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}

/** Prepares the apply transactions and journal-position statements on `db`. */
export function createApplier(db: Db, sql = prepareStatements(db)): Applier {
  const readState = db.prepare('SELECT generation, byte_offset AS offset FROM journal_state WHERE id = 1');
  const writeState = db.prepare(
    'INSERT OR REPLACE INTO journal_state (id, generation, byte_offset) VALUES (1, ?, ?)',
  );
  const record = (position: JournalPosition | undefined) => {
    if (position) writeState.run(position.generation, position.offset);
  };
  const whole = db.transaction((ops: readonly StoreOp[], position: JournalPosition | undefined) => {
    applyOps(sql, ops);
    record(position);
  });
  // Nested in `oneByOne`, this is a savepoint: a refused op is undone alone.
  const single = db.transaction((op: StoreOp) => applyOps(sql, [op]));
  const oneByOne = db.transaction(
    (ops: readonly StoreOp[], position: JournalPosition | undefined, warn: (message: string) => void) => {
      for (const op of ops) {
        try {
          single(op);
        } catch (error) {
          if (!isConstraintError(error)) throw error;
          warn(`skipped a ${op.op} write SQLite refused: ${(error as Error).message}`);
        }
      }
      record(position);
    },
  );
  return {
    apply(ops, position, warn) {
      try {
        whole.immediate(ops, position);
      } catch (error) {
        if (!isConstraintError(error)) throw error;
        oneByOne.immediate(ops, position, warn);
      }
      return 1;
    },
    appliedPosition: () => (readState.get() as JournalPosition | undefined) ?? { generation: 0, offset: 0 },
  };
}

/** True when journal position `a` is at or past `b`. */
export function reached(a: JournalPosition, b: JournalPosition): boolean {
  return a.generation > b.generation || (a.generation === b.generation && a.offset >= b.offset);
}
