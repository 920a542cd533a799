import type { Database as Db } from 'better-sqlite3';
import { describeError } from '../common/errors.js';
import { nowMicros } from '../common/time.js';
import { type Applier, createApplier } from './apply.js';
import { ApplyThread } from './apply-thread.js';
import { Journal, type JournalPosition } from './journal.js';
import { decodeJournalLine, encodeOps, type JournalLine } from './journal-line.js';
import type { StoreOp } from './ops.js';
import type { prepareStatements } from './rows.js';
import type { StoreHealth } from './types.js';
import { hasRoom, type StoreUnavailableError, storageFailure } from './unavailable.js';

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
/** How often a journal that refused a write is tried again (ms). */
const PROBE_MS = 1_000;
/**
 * Free space (bytes) the journal's file system must have again before a refused journal is tried: a failed
 * line leaves the last partly used block behind, where a short line may still fit, and recording must not
 * flicker on and off while the disk stays full.
 */
const RESUME_FREE_BYTES = 1024 * 1024;
/** An empty journal line: no ops; appended to find out whether the journal takes writes again. */
const PROBE_LINE = '[]';
/** How long SQLite may wait for a lock on the engine's own connection once it serves (ms). */
const SERVING_BUSY_TIMEOUT_MS = 100;

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
 * Reads wait for queued writes first ({@link Ingest.settle}, at most a few seconds, and not at all while
 * SQLite refuses them), so this process reads its own writes.
 *
 * A journal write that fails (a full disk) fails closed and at once: the write throws a
 * {@link StoreUnavailableError} and nothing of it is durable, so its caller forwards nothing. Nothing waits
 * for SQLite instead. Later writes are refused the same way without touching the disk, while a probe every
 * second looks for room (1 MiB free, then an empty line appended); once it finds it, recording resumes by
 * itself. {@link Ingest.health} says meanwhile why writes are refused.
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
  /** Why the journal refuses writes, and since when (µs since epoch); undefined while it takes them. */
  private refused: { error: StoreUnavailableError; since: number } | undefined;
  /** Why SQLite refuses the journaled writes, and since when; undefined while it takes them. */
  private behind: { error: string; since: number } | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly healthListeners = new Set<(health: StoreHealth) => void>();

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
      // Serving now: this connection only reads (and applies, should the thread stop), so it never waits
      // long for a lock another process holds; a refused apply is retried from a timer.
      db.pragma(`busy_timeout = ${Math.min(SERVING_BUSY_TIMEOUT_MS, options.busyTimeoutMs ?? 5_000)}`);
    }
  }

  /** Whether writes are taken, and why not; see {@link StoreHealth}. */
  get health(): StoreHealth {
    return {
      ok: this.refused === undefined,
      error: this.refused?.error.message ?? null,
      problem: this.refused?.error.problem ?? null,
      since: this.refused?.since ?? null,
      behind: this.behind ? { ...this.behind } : null,
    };
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
   * journal.
   * @throws StoreUnavailableError when the journal cannot take them (a full disk; at once, nothing of them is
   *   then durable); without a journal, SQLite's error
   */
  write(ops: readonly StoreOp[]): void {
    if (ops.length === 0) return;
    if (this.journal) {
      const line = encodeOps(ops);
      const before = this.journal.bytesWritten;
      const end = this.append(this.journal, line);
      this.stats.journalWrites++;
      this.stats.journalBytes += this.journal.bytesWritten - before;
      if (this.thread) this.thread.send(line, end);
      else {
        for (const op of ops) this.queued.push(op);
        this.schedule(this.queued.length >= this.maxQueued ? 0 : this.applyDelayMs);
      }
      return;
    }
    this.settle();
    this.stats.transactions += this.applier.apply(ops, undefined, this.warn);
    this.stats.ops += ops.length;
    this.options.onApplied?.(undefined);
  }

  /**
   * Appends a line to the journal, or fails closed: a refused line starts the refusal that {@link health}
   * reports, and the probe that ends it; during it, every line is refused at once.
   * @throws StoreUnavailableError
   */
  private append(journal: Journal, line: JournalLine, probing = false): JournalPosition {
    if (this.refused && !probing) throw this.refused.error;
    try {
      this.written = journal.append(line);
    } catch (error) {
      const failure = storageFailure(error, this.options.journalDir ?? 'the journal');
      if (!this.refused) {
        this.refused = { error: failure, since: nowMicros() };
        this.warn(
          `cannot record: ${failure.message}. Requests and statements are refused until there is room; recording resumes by itself.`,
        );
        this.changed();
      }
      this.probeTimer ??= setInterval(() => this.probe(), PROBE_MS).unref();
      throw failure;
    }
    if (this.refused) {
      this.refused = undefined;
      clearInterval(this.probeTimer);
      this.probeTimer = undefined;
      this.warn('the store takes writes again: recording resumed');
      this.changed();
    }
    return this.written;
  }

  /** Looks for room again and, when there is, tries the journal with an empty line; success ends the refusal. */
  private probe(): void {
    if (!this.journal || !this.refused) return;
    if (this.refused.error.problem === 'disk_full' && !hasRoom(this.options.journalDir!, RESUME_FREE_BYTES))
      return;
    try {
      const end = this.append(this.journal, PROBE_LINE, true);
      this.thread?.send(PROBE_LINE, end);
    } catch {
      // Still refused: tried again at the next tick.
    }
  }

  /**
   * Calls `listener` whenever {@link health} changes (writes refused or taken again, SQLite refusing or not).
   * Returns the unsubscribe function.
   */
  onHealthChange(listener: (health: StoreHealth) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  private changed(): void {
    const health = this.health;
    for (const listener of this.healthListeners) {
      try {
        listener(health);
      } catch {
        // A listener's failure never affects recording.
      }
    }
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
      } else if (!this.behind && !this.thread.refusing) {
        this.warn('SQLite is busy (another process holding it?); reading without the newest writes');
      }
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
    clearInterval(this.probeTimer);
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
      this.sqliteRefusing(describeError(error));
      this.schedule(RETRY_MS);
      return;
    }
    this.sqliteRefusing(null);
    this.queued = [];
    this.journal?.releaseUpTo(this.written);
    this.options.onApplied?.(this.written);
  }

  /** SQLite began refusing the journaled writes (`error`: why), or took them again (null); said once. */
  private sqliteRefusing(error: string | null): void {
    if ((error === null) === (this.behind === undefined)) return;
    if (error === null) {
      this.behind = undefined;
      this.warn('SQLite took the recorded writes again');
    } else {
      this.behind = { error, since: nowMicros() };
      this.warn(
        `SQLite refused the recorded writes for now (${error}); they are safe in the journal, retrying`,
      );
    }
    this.changed();
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
          onRefusing: (error) => this.sqliteRefusing(error),
          onExit: (error) => {
            if (this.thread !== thread) return;
            this.thread = undefined;
            this.warn(`the store's apply thread stopped (${error.message}); applying on the main thread`);
            this.behind = undefined; // the thread's refusal; this thread finds out for itself
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
