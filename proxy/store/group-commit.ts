import type { Store } from './store.js';

/** A write and what to do once it is durable (or failed). */
interface PendingWrite {
  write: () => void;
  /** Runs after the batch commits (or fails). */
  done: (error?: Error) => void;
}

/**
 * How long the engine must have gone without a commit (ms) for a write to commit at once, on the caller's
 * stack, instead of at the end of the loop turn.
 */
const IDLE_MS = 1;

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
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
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
    this.pending.push({ write, done: then });
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
   * out (while the client reads it) rather than on the path of the next request.
   */
  enqueueLazy(write: () => void): void {
    this.enqueue(write, () => undefined);
  }

  /** Commits everything queued now (also used at shutdown so nothing queued is lost). */
  flush(): void {
    this.lastFlushMs = this.now();
    this.scheduled = false;
    const batch = this.pending;
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
      try {
        item.done(errors[i]);
      } catch {
        // A continuation's failure belongs to its exchange, never to the others in the batch.
      }
    });
    this.flushing = false;
  }
}
