import type { Database as Db } from 'better-sqlite3';
import { type Applier, applyWithFallback, createApplier, reached } from './apply.js';
import { ApplyThread } from './apply-thread.js';
import { Journal, type JournalPosition } from './journal.js';
import type { StoreOp } from './ops.js';
import type { prepareStatements } from './rows.js';

/** How the store's writes reach SQLite. */
export interface IngestOptions {
  /** Directory of the write-ahead journal; without one, every write is applied to SQLite at once. */
  journalDir?: string;
  /**
   * The SQLite file, for the apply thread's own connection. With a journal and a path, journaled writes are
   * applied on a worker thread; without a path, on this thread from a timer.
   */
  databasePath?: string;
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
 * {@link Journal} (a single `write(2)`), and SQLite applies them a few milliseconds later in one transaction
 * with other writes, together with the journal position it has reached — on the {@link ApplyThread} (its own
 * connection, off the proxies' event loop) when the store is a file, else on this thread from a timer.
 * Start-up replays what the journal holds past that position. Without a journal directory (`:memory:`
 * stores, CLI use) ops are applied to SQLite directly and synchronously.
 *
 * Whatever waits is applied whenever anyone reads ({@link Ingest.settle}), so reads in this process always
 * see every write made before them.
 */
export class Ingest {
  readonly stats: IngestStats = { journalWrites: 0, transactions: 0, ops: 0 };
  private journal: Journal | undefined;
  /** Applies journaled writes off this thread, when running. */
  private thread: ApplyThread | undefined;
  /** Journaled ops waiting for SQLite (when there is no apply thread). */
  private queued: StoreOp[] = [];
  private written: JournalPosition = START;
  private timer: NodeJS.Timeout | undefined;
  private readonly applyDelayMs: number;
  private readonly maxQueued: number;
  private readonly warn: (message: string) => void;
  private readonly applier: Applier;

  /**
   * Replays the journal past SQLite's position (when a journal directory is given) and opens it for writing.
   * @throws Error when the journal directory cannot be created or read
   */
  constructor(
    db: Db,
    sql: ReturnType<typeof prepareStatements>,
    private readonly options: IngestOptions = {},
  ) {
    this.applyDelayMs = options.applyDelayMs ?? 10;
    this.maxQueued = options.maxQueued ?? 2_000;
    this.warn = options.warn ?? ((message) => process.stderr.write(`glassbox: ${message}\n`));
    this.applier = createApplier(db, sql);
    if (options.journalDir) {
      const applied = this.replay(options.journalDir);
      this.journal = Journal.open(options.journalDir, applied, options.journalRotateBytes);
      this.written = applied;
      if (options.databasePath) this.thread = this.startThread(options.databasePath);
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
        const line = JSON.stringify(ops);
        this.written = this.journal.append(line);
        this.stats.journalWrites++;
        if (this.thread) this.thread.send(line, ops, this.written);
        else {
          for (const op of ops) this.queued.push(op);
          this.schedule();
        }
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
    return this.queued.length > 0 || (this.thread?.hasQueued ?? false);
  }

  /** Applies every queued op to SQLite now (reads call this first). */
  settle(): void {
    // A thread that fails to settle has handed its work back (see startThread) to be applied below.
    this.thread?.settle();
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
    this.thread?.close();
    this.thread = undefined;
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

  /** Applies `ops` (journaled up to `position`, if journaled) in one transaction; see applyWithFallback. */
  private apply(ops: readonly StoreOp[], position: JournalPosition | undefined): void {
    this.stats.transactions += applyWithFallback(this.applier.transaction, ops, position, this.warn);
    this.stats.ops += ops.length;
    this.options.onApplied?.();
  }

  /**
   * Starts the apply thread; if it cannot start, or later dies or stops answering, this thread takes its
   * work back: the lines it had not applied (per SQLite's recorded journal position) are applied here, and
   * ingestion continues here from a timer.
   */
  private startThread(path: string): ApplyThread | undefined {
    const takeOver = (thread: ApplyThread, error: Error) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      this.warn(`the store's apply thread failed (${error.message}); applying on the main thread`);
      const applied = this.applier.appliedPosition();
      for (const line of thread.takeUnapplied()) {
        if (!reached(applied, line.end)) this.apply(line.ops, line.end);
      }
    };
    try {
      const thread: ApplyThread = new ApplyThread(
        path,
        { applyDelayMs: this.applyDelayMs, maxQueued: this.maxQueued },
        {
          onApplied: (end, transactions, ops) => {
            this.stats.transactions += transactions;
            this.stats.ops += ops;
            this.journal?.releaseUpTo(end);
            this.options.onApplied?.();
          },
          onFailure: (error) => takeOver(thread, error),
          warn: this.warn,
        },
      );
      return thread;
    } catch (error) {
      this.warn(
        `could not start the store's apply thread (${(error as Error).message}); applying on the main thread`,
      );
      return undefined;
    }
  }

  /** Applies journal lines past SQLite's position, in chunks; returns the position reached. */
  private replay(dir: string): JournalPosition {
    let position = this.applier.appliedPosition();
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
