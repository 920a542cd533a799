import type { Database as Db } from 'better-sqlite3';
import { type Applier, createApplier } from './apply.js';
import { ApplyThread } from './apply-thread.js';
import { Journal, type JournalPosition } from './journal.js';
import { decodeJournalLine, encodeOps } from './journal-line.js';
import type { StoreOp } from './ops.js';
import type { prepareStatements } from './rows.js';

/** How the store's writes reach SQLite. */
export interface IngestOptions {
  /**
   * Directory of the write-ahead journal. Only the engine (holding the engine lock) passes one. Without it
   * (CLI commands, tests) every write is applied to SQLite at once.
   */
  journalDir?: string;
  /**
   * The SQLite file, for the apply thread's own connection. With a journal and a path, journaled writes are
   * applied on a worker thread; without a path, on this thread from a timer.
   */
  databasePath?: string;
  /** Size (bytes) past which the journal continues in a new file; default 16 MiB. */
  journalRotateBytes?: number;
  /** Longest a journaled write waits before SQLite takes it (ms); default 10. */
  applyDelayMs?: number;
  /** Queued ops at which SQLite takes the queue without waiting for the delay; default 2,000. */
  maxQueued?: number;
  /** How long SQLite waits for a lock another process holds before a write is retried later (ms); 5,000. */
  busyTimeoutMs?: number;
  /** Told after SQLite holds every write up to `end` (undefined: every write made so far). */
  onApplied?: (end: JournalPosition | undefined) => void;
  /** Where problems that lose nothing but deserve a mention go; default stderr. */
  warn?: (message: string) => void;
  /**
   * Diagnostics, for tests of the takeover: given, when the apply thread starts, a function that makes it
   * fail ({@link ApplyThread.fail}) and resolves once this thread has taken over.
   */
  onApplyThreadStart?: (fail: () => Promise<void>) => void;
}

/** Counters for benchmarks and tests. */
export interface IngestStats {
  /** Journal lines written (one per store write or batch). */
  journalWrites: number;
  /** Bytes written to the journal (its lines and their line feeds). */
  journalBytes: number;
  /** SQLite transactions that applied ops. */
  transactions: number;
  /** Ops applied to SQLite. */
  ops: number;
}

/** Journal lines replayed per SQLite transaction. */
const REPLAY_CHUNK = 2_000;
/** How soon a queue SQLite refused is tried again on this thread (ms). */
const RETRY_MS = 100;

/**
 * The store's write path below the in-memory heads: a write is durable once its ops are one line in the
 * {@link Journal} (a single `write(2)`), and SQLite applies them a few milliseconds later in one transaction
 * with other writes, together with the journal position it has reached — on the {@link ApplyThread} (its own
 * connection, off the proxies' event loop) when the store is a file, else on this thread from a timer.
 * Start-up replays what the journal holds past that position. Without a journal directory ops are applied to
 * SQLite directly and synchronously.
 *
 * Nothing is recorded as applied unless committed: when SQLite refuses a transaction for a passing reason
 * (another process holding the lock, a full disk) the writes stay queued and journaled and are tried again.
 * Reads wait for queued writes first ({@link Ingest.settle}, at most a few seconds), so this process reads
 * its own writes.
 */
export class Ingest {
  readonly stats: IngestStats = { journalWrites: 0, journalBytes: 0, transactions: 0, ops: 0 };
  private journal: Journal | undefined;
  /** Applies journaled writes off this thread, while it runs. */
  private thread: ApplyThread | undefined;
  /** Journaled ops waiting for SQLite (when there is no apply thread). */
  private queued: StoreOp[] = [];
  /**
   * The journal directory while lines the apply thread left at its exit still wait for SQLite: they come before
   * {@link queued}, so the queue is applied by replaying the journal past SQLite's position instead.
   */
  private unreplayed: string | undefined;
  /** Position after the last journaled write. */
  private written: JournalPosition | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly applyDelayMs: number;
  private readonly maxQueued: number;
  private readonly warn: (message: string) => void;
  private readonly applier: Applier;

  /**
   * Replays the journal past SQLite's position (when a journal directory is given), opens it for writing and
   * starts the apply thread.
   * @throws Error when the journal cannot be read or created, or SQLite refuses the replay (e.g. locked)
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
      if (options.databasePath) this.thread = this.startThread(options.databasePath, options.journalDir);
    }
  }

  /** The position after the last journaled write; undefined without a journal. */
  get position(): JournalPosition | undefined {
    return this.journal ? this.written : undefined;
  }

  /** True while journaled writes wait for SQLite. */
  get hasQueued(): boolean {
    return this.queued.length > 0 || this.unreplayed !== undefined || (this.thread?.hasQueued ?? false);
  }

  /**
   * Makes `ops` durable, in order after every earlier write: journaled, or applied to SQLite when there is no
   * journal (or the journal failed, after which the store keeps going on SQLite alone).
   * @throws Error when neither the journal nor SQLite can take them (nothing of them is then durable)
   */
  write(ops: readonly StoreOp[]): void {
    if (ops.length === 0) return;
    if (this.journal) {
      try {
        const line = encodeOps(ops);
        const from = this.journal.position.offset;
        this.written = this.journal.append(line);
        this.stats.journalWrites++;
        this.stats.journalBytes += this.written.offset - from;
        if (this.thread) this.thread.send(line, this.written);
        else {
          for (const op of ops) this.queued.push(op);
          this.schedule(this.queued.length >= this.maxQueued ? 0 : this.applyDelayMs);
        }
        return;
      } catch (error) {
        this.warn(
          `the write-ahead journal failed (${(error as Error).message}); recording continues directly into SQLite`,
        );
        this.journal.close(false);
        this.journal = undefined;
      }
    }
    this.settle();
    this.stats.transactions += this.applier.apply(ops, undefined, this.warn);
    this.stats.ops += ops.length;
    this.options.onApplied?.(undefined);
  }

  /**
   * Waits until SQLite holds every write made so far (reads call this first). When SQLite is held up
   * elsewhere for more than a few seconds it returns anyway; the writes stay queued and journaled.
   */
  settle(): void {
    if (this.thread?.hasQueued) {
      if (this.thread.settle() && this.written) {
        this.journal?.releaseUpTo(this.written);
        this.options.onApplied?.(this.written);
      } else this.warn('SQLite is busy (another process holding it?); reading without the newest writes');
    }
    this.applyQueued();
  }

  /** Applies what is queued and closes the journal, deleting its files when SQLite holds everything. */
  close(): void {
    this.settle();
    const thread = this.thread;
    this.thread = undefined;
    const threadDone = thread ? thread.close() : true;
    clearTimeout(this.timer);
    this.journal?.close(threadDone && this.queued.length === 0 && this.unreplayed === undefined);
    this.journal = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.applyQueued(), delayMs);
    this.timer.unref();
  }

  /** Applies the queue on this thread; if SQLite refuses it for now, keeps it and tries again shortly. */
  private applyQueued(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if ((this.queued.length === 0 && this.unreplayed === undefined) || !this.written) return;
    try {
      if (this.unreplayed !== undefined) {
        // The journal holds the queue too, after the lines the apply thread left: replaying applies both.
        this.replay(this.unreplayed);
        this.unreplayed = undefined;
      } else {
        this.stats.transactions += this.applier.apply(this.queued, this.written, this.warn);
        this.stats.ops += this.queued.length;
      }
    } catch (error) {
      this.warn(`SQLite refused the recorded writes for now (${(error as Error).message}); retrying`);
      this.schedule(RETRY_MS);
      return;
    }
    this.queued = [];
    this.journal?.releaseUpTo(this.written);
    this.options.onApplied?.(this.written);
  }

  /**
   * Starts the apply thread. Should it exit unexpectedly (its connection is then gone), this thread takes
   * over: it applies whatever the journal holds past SQLite's position (retrying, like its queue, while SQLite
   * refuses), and ingests on from a timer.
   */
  private startThread(path: string, journalDir: string): ApplyThread | undefined {
    try {
      const thread: ApplyThread = new ApplyThread(
        path,
        {
          applyDelayMs: this.applyDelayMs,
          maxQueued: this.maxQueued,
          busyTimeoutMs: this.options.busyTimeoutMs ?? 5_000,
        },
        {
          onApplied: (end, transactions, ops) => {
            this.stats.transactions += transactions;
            this.stats.ops += ops;
            this.journal?.releaseUpTo(end);
            this.options.onApplied?.(end);
          },
          onExit: (error) => {
            if (this.thread !== thread) return;
            this.thread = undefined;
            this.warn(`the store's apply thread stopped (${error.message}); applying on the main thread`);
            this.unreplayed = journalDir;
            this.applyQueued();
          },
          warn: this.warn,
        },
      );
      this.options.onApplyThreadStart?.(() => thread.fail());
      return thread;
    } catch (error) {
      this.warn(
        `could not start the store's apply thread (${(error as Error).message}); applying on the main thread`,
      );
      return undefined;
    }
  }

  /**
   * Applies journal lines past SQLite's position, in chunks of 2,000 lines; returns the position reached.
   * @throws SqliteError when SQLite refuses a chunk (nothing past the last committed chunk is marked applied)
   */
  private replay(dir: string): JournalPosition {
    let position = this.applier.appliedPosition();
    let chunk: StoreOp[] = [];
    let lines = 0;
    const flush = () => {
      this.stats.transactions += this.applier.apply(chunk, position, this.warn);
      this.stats.ops += chunk.length;
      chunk = [];
    };
    for (const entry of Journal.replay(dir, position)) {
      try {
        for (const op of decodeJournalLine(entry.line)) chunk.push(op);
      } catch {
        this.warn(
          `skipped an unreadable line of the write-ahead journal (generation ${entry.end.generation}, byte ${entry.end.offset})`,
        );
      }
      position = entry.end;
      if (++lines % REPLAY_CHUNK === 0) flush();
    }
    if (lines % REPLAY_CHUNK !== 0) flush();
    return position;
  }
}
