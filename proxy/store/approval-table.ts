/**
 * The `approvals` table (DESIGN.md, "Data model"; policy/approvals/ keeps it): rows written whole through the
 * store's journal like every write, read from SQLite. The store's part that knows this one table.
 */
import type { StoreOp } from './ops.js';
import type { prepareStatements } from './rows.js';
import type { ApprovalRow } from './types.js';

/** What the table needs of the store it belongs to. */
export interface ApprovalTableDeps {
  sql: ReturnType<typeof prepareStatements>;
  /** Waits until queued writes are in SQLite (a read of this process's own writes). */
  settle: () => void;
  /** Writes ops through the journal, joining an open {@link Store.batch}. */
  write: (ops: StoreOp[]) => void;
}

/** The `approvals` rows of one store (`store.approvals`). */
export class ApprovalTable {
  constructor(private readonly deps: ApprovalTableDeps) {}

  /**
   * Writes a row whole; inside a store batch it is durable together with the events written there.
   * @throws StoreUnavailableError when the store refuses writes (a full disk)
   */
  put(row: ApprovalRow): void {
    this.deps.write([{ op: 'approval', row: { ...row } }]);
  }

  /** One row by id, or undefined. */
  get(id: string): ApprovalRow | undefined {
    this.deps.settle();
    return this.deps.sql.approval.get(id) as ApprovalRow | undefined;
  }

  /**
   * Whether the table holds `id`, read without waiting for queued writes (a point read that never waits for
   * the writer): for choosing new ids, whose caller knows the ones it wrote itself.
   */
  idTaken(id: string): boolean {
    return this.deps.sql.approval.get(id) !== undefined;
  }

  /** Rows pending first, newest first; only pending ones unless `all`; at most `limit`. */
  list(options: { all: boolean; limit: number }): ApprovalRow[] {
    this.deps.settle();
    return this.deps.sql.approvals.all({ all: options.all ? 1 : 0, limit: options.limit }) as ApprovalRow[];
  }
}
