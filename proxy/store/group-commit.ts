import type { Store } from './store.js';
import { StoreUnavailableError } from './unavailable.js';

/** A write and what to do once it is durable (or failed). */
interface PendingWrite {
  write: () => void;
  /** Runs after the batch commits (or fails). */
  done: (error?: Error) => void;
  /** Nothing waits for it: while the store refuses writes it is kept and tried again. */
  lazy: boolean;
}

/**
 * How long the engine must have gone without a commit (ms) for a write to commit at once, on the caller's
 * stack, instead of at the end of the loop turn.
 */
const IDLE_MS = 1;
/** How often lazy writes the store refused are tried again while nothing else commits (ms). */
const RETRY_MS = 500;
/** Most lazy writes kept for a store that refuses writes; past it the oldest are given up. */
const MAX_RETAINED = 100_000;

/** Options for {@link GroupCommit}. */
export interface GroupCommitOptions {
  /**
   * True when the owner has at most one writer active (one exchange streaming, one client connection), so
   * waiting for the end of the loop turn would rarely gather a second write: a write then commits at once
   * however recently the last one did.
   */
  alone?: () => boolean;
  /** The clock idleness is measured on, in ms (default `performance.now`). */
  now?: () => number;
  /** Most lazy writes kept while the store refuses writes (default 100,000); the oldest are given up first. */
  maxRetained?: number;
  /** Where a note goes when kept writes are given up; default stderr. */
  warn?: (message: string) => void;
}

/**
 * Group commit: writes requested during one turn of the event loop become durable together (one store batch,
 * one journal write), and each caller's continuation runs only after that. Under load, many concurrent
 * exchanges share one commit (the end of the loop turn, `setImmediate`). When there is nobody to share with —
 * nothing queued, and either no commit for {@link IDLE_MS} or the owner says it is alone
 * ({@link GroupCommitOptions.alone}) — the write commits at once and its continuation runs before `enqueue`
 * returns. So a lone request is not kept waiting for the loop turn to end (on a quiet machine that wait, the
 * rest of the turn and the check phase, costs 50–80 µs of time to first token; bench:anthropic), and a lone
 * reply's first token is not held behind the rest of a burst that arrived with it.
 *
 * This keeps "recorded before forwarded" literal — callers forward bytes in `then` — while the fixed cost of
 * making writes durable is paid once per batch instead of once per write.
 *
 * One bad write (an unknown session) fails only its own caller; a journal failure fails the whole batch.
 * A lazy write ({@link GroupCommit.enqueueLazy}) that failed only because the store refused writes for now (a
 * full disk) is kept and tried again — at the front of every later batch, in the order it was queued, and
 * every 500 ms while nothing else commits — so an outcome recorded after its reply went out is not lost to a
 * passing failure.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  /** Lazy writes the store refused, oldest first: they go before anything pending. */
  private retained: PendingWrite[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  /** A batch's continuations are running: a write they queue waits for the next batch. */
  private flushing = false;
  /** When the last batch was committed (ms on the options' clock). */
  private lastFlushMs = Number.NEGATIVE_INFINITY;
  /** Number of batches committed and writes they carried, for benchmarks. */
  readonly stats = { batches: 0, writes: 0 };

  constructor(
    private readonly store: Store,
    private readonly options: GroupCommitOptions = {},
  ) {}

  /**
   * Queues `write` for the next batch; `then` runs after it commits, with the error if it failed — before this
   * returns when the engine was idle (see {@link IDLE_MS}), so callers must not depend on `then` running later.
   */
  enqueue(write: () => void, then: (error?: Error) => void): void {
    this.push({ write, done: then, lazy: false });
  }

  private push(item: PendingWrite): void {
    this.pending.push(item);
    if (
      !this.scheduled &&
      !this.flushing &&
      this.pending.length === 1 &&
      (this.now() - this.lastFlushMs > IDLE_MS || this.options.alone?.() === true)
    ) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

  /**
   * Queues a write nothing waits for (an outcome already relayed, a notice). It is made durable like any other
   * (at the end of this loop turn, or at once when idle), which puts its cost in the moment after a reply went
   * out (while the client reads it) rather than on the path of the next request. While the store refuses
   * writes it is kept and tried again (see the class comment); `done`, if given, runs once it is durable, or
   * with the error once it is given up (a write that throws for another reason, or one of the oldest past
   * the cap of kept writes).
   */
  enqueueLazy(write: () => void, done: (error?: Error) => void = () => undefined): void {
    this.push({ write, done, lazy: true });
  }

  /** Number of lazy writes kept because the store refused them, waiting to be tried again. */
  get retainedCount(): number {
    return this.retained.length;
  }

  /** Commits everything queued now, kept writes first (also used at shutdown so nothing queued is lost). */
  flush(): void {
    this.lastFlushMs = this.now();
    this.scheduled = false;
    const batch = this.retained.length > 0 ? [...this.retained, ...this.pending] : this.pending;
    this.retained = [];
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.pending = [];
    if (batch.length === 0) return;
    // Each write either changes nothing and throws, or is kept; the batch's writes reach the journal as one line.
    const errors: Array<Error | undefined> = batch.map(() => undefined);
    try {
      this.store.batch(() => {
        batch.forEach((item, i) => {
          try {
            item.write();
          } catch (error) {
            errors[i] = error instanceof Error ? error : new Error(String(error));
          }
        });
      });
    } catch (error) {
      // The journal (and SQLite after it) refused the batch: no write in it is durable.
      errors.fill(error instanceof Error ? error : new Error(String(error)));
    }
    this.stats.batches++;
    this.stats.writes += batch.length;
    // Continuations run in the order their writes were queued: one queuing a write does not commit it
    // ahead of the continuations after it.
    this.flushing = true;
    batch.forEach((item, i) => {
      const error = errors[i];
      if (item.lazy && error instanceof StoreUnavailableError) {
        this.retain(item);
        return;
      }
      try {
        item.done(error);
      } catch {
        // A continuation's failure belongs to its exchange, never to the others in the batch.
      }
    });
    this.flushing = false;
  }

  /** Keeps a lazy write the store refused, to try it again; gives up the oldest past the cap. */
  private retain(item: PendingWrite): void {
    this.retained.push(item);
    const cap = this.options.maxRetained ?? MAX_RETAINED;
    if (this.retained.length > cap) {
      const dropped = this.retained.splice(0, this.retained.length - cap);
      const warn = this.options.warn ?? ((message) => process.stderr.write(`glassbox: ${message}\n`));
      warn(
        `gave up ${dropped.length} record(s) kept while the store refused writes (more than ${cap} waiting)`,
      );
      const error = new Error(`given up after the store refused it (more than ${cap} writes waiting)`);
      for (const write of dropped) {
        try {
          write.done(error);
        } catch {
          // As above.
        }
      }
    }
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.scheduled && !this.flushing) this.flush();
    }, RETRY_MS).unref();
  }
}
