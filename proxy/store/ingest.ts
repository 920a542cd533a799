import type { Database as Db, Statement } from 'better-sqlite3';
import { Journal, type JournalPosition } from './journal.js';
import { applyOps, type StoreOp } from './ops.js';
import type { prepareStatements } from './rows.js';

/** How the store's writes reach SQLite. */
export interface IngestOptions {
  /** Directory of the write-ahead journal; without one, every write is applied to SQLite at once. */
  journalDir?: string;
  /** Size (bytes) past which a fully applied journal file is replaced by a new one; default 16 MiB. */
  journalRotateBytes?: number;
  /** Longest a journaled write waits before SQLite takes it (ms); default 10. */
  applyDelayMs?: number;
  /** Applied ops count at which SQLite takes the queue without waiting for the delay; default 2,000. */
  maxQueued?: number;
  /** Told after each SQLite transaction that applied ops. */
  onApplied?: () => void;
  /** Where problems that lose nothing but deserve a mention go; default stderr. */
  warn?: (message: string) => void;
}

/** Counters for benchmarks and tests. */
export interface IngestStats {
  /** Journal lines written (one per store write or batch). */
  journalWrites: number;
  /** SQLite transactions that applied ops. */
  transactions: number;
  /** Ops applied to SQLite. */
  ops: number;
}

const START: JournalPosition = { generation: 0, offset: 0 };
/** Journal lines replayed per SQLite transaction at start-up. */
const REPLAY_CHUNK = 2_000;

/**
 * The store's write path below the in-memory heads: a write is durable once its ops are one line in the
 * {@link Journal} (a single `write(2)`), and SQLite applies the queued ops a few milliseconds later in one
 * transaction, together with the journal position it has reached. Start-up replays what the journal holds
 * past that position. Without a journal directory (`:memory:` stores, read-only CLI use) ops are applied to
 * SQLite directly and synchronously.
 *
 * The queue is applied early whenever anyone reads ({@link Ingest.settle}), so reads in this process always
 * see every write made before them.
 */
export class Ingest {
  readonly stats: IngestStats = { journalWrites: 0, transactions: 0, ops: 0 };
  private journal: Journal | undefined;
  private queued: StoreOp[] = [];
  private written: JournalPosition = START;
  private timer: NodeJS.Timeout | undefined;
  private readonly applyDelayMs: number;
  private readonly maxQueued: number;
  private readonly warn: (message: string) => void;
  private readonly readState: Statement;
  private readonly writeState: Statement;
  private readonly transaction: (ops: readonly StoreOp[], position: JournalPosition | undefined) => void;

  /**
   * Replays the journal past SQLite's position (when a journal directory is given) and opens it for writing.
   * @throws Error when the journal directory cannot be created or read
   */
  constructor(
    db: Db,
    private readonly sql: ReturnType<typeof prepareStatements>,
    private readonly options: IngestOptions = {},
  ) {
    this.applyDelayMs = options.applyDelayMs ?? 10;
    this.maxQueued = options.maxQueued ?? 2_000;
    this.warn = options.warn ?? ((message) => process.stderr.write(`glassbox: ${message}\n`));
    this.readState = db.prepare('SELECT generation, byte_offset AS offset FROM journal_state WHERE id = 1');
    this.writeState = db.prepare(
      'INSERT OR REPLACE INTO journal_state (id, generation, byte_offset) VALUES (1, ?, ?)',
    );
    this.transaction = db.transaction((ops: readonly StoreOp[], position: JournalPosition | undefined) => {
      applyOps(this.sql, ops);
      if (position) this.writeState.run(position.generation, position.offset);
    });
    if (options.journalDir) {
      const applied = this.replay(options.journalDir);
      this.journal = Journal.open(options.journalDir, applied, options.journalRotateBytes);
      this.written = applied;
    }
  }

  /**
   * Makes `ops` durable, in order after every earlier write: journaled, or applied to SQLite when there is no
   * journal (or the journal failed, after which the store keeps going on SQLite alone).
   * @throws Error when neither the journal nor SQLite can take them
   */
  write(ops: readonly StoreOp[]): void {
    if (ops.length === 0) return;
    if (this.journal) {
      try {
        this.written = this.journal.append(JSON.stringify(ops));
        this.stats.journalWrites++;
        for (const op of ops) this.queued.push(op);
        this.schedule();
        return;
      } catch (error) {
        this.warn(
          `the write-ahead journal failed (${(error as Error).message}); recording continues directly into SQLite`,
        );
        this.journal = undefined;
      }
    }
    this.settle();
    this.apply(ops, undefined);
  }

  /** True while journaled ops wait for SQLite. */
  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  /** Applies every queued op to SQLite now (reads call this first). */
  settle(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queued.length === 0) return;
    const ops = this.queued;
    this.queued = [];
    this.apply(ops, this.written);
    this.journal?.releaseUpTo(this.written);
  }

  /** Applies what is queued and closes the journal, deleting its files when SQLite holds everything. */
  close(): void {
    this.settle();
    this.journal?.close(true);
    this.journal = undefined;
  }

  private schedule(): void {
    if (this.queued.length >= this.maxQueued) {
      // Off the caller's path, but without waiting: the queue is long enough to make a good transaction.
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.settle(), 0);
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.settle(), this.applyDelayMs);
    }
    this.timer.unref();
  }

  /**
   * One transaction for `ops` and the journal position they reach. Should it fail, each op is applied on its
   * own so that one bad row cannot hold back the rest; the bad one is reported and skipped (the journal
   * keeps it until the file is rotated).
   */
  private apply(ops: readonly StoreOp[], position: JournalPosition | undefined): void {
    try {
      this.transaction(ops, position);
      this.stats.transactions++;
    } catch (batchError) {
      if (!this.journal && !position) throw batchError;
      for (const op of ops) {
        try {
          this.transaction([op], undefined);
        } catch (error) {
          this.warn(`could not apply a ${op.op} write to SQLite: ${(error as Error).message}`);
        }
      }
      if (position) this.transaction([], position);
    }
    this.stats.ops += ops.length;
    this.options.onApplied?.();
  }

  /** Applies journal lines past SQLite's position, in chunks; returns the position reached. */
  private replay(dir: string): JournalPosition {
    let position = (this.readState.get() as JournalPosition | undefined) ?? START;
    let chunk: StoreOp[] = [];
    let lines = 0;
    for (const entry of Journal.replay(dir, position)) {
      try {
        for (const op of JSON.parse(entry.line) as StoreOp[]) chunk.push(op);
      } catch {
        this.warn(`skipped an unreadable line of the write-ahead journal at ${describe(entry.end)}`);
      }
      position = entry.end;
      if (++lines % REPLAY_CHUNK === 0) {
        this.apply(chunk, position);
        chunk = [];
      }
    }
    if (lines % REPLAY_CHUNK !== 0) this.apply(chunk, position);
    return position;
  }
}

function describe(position: JournalPosition): string {
  return `generation ${position.generation}, byte ${position.offset}`;
}
