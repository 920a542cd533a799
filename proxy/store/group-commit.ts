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

/**
 * Group commit: writes requested during one turn of the event loop become durable together (one store batch,
 * one journal write), and each caller's continuation runs only after that. Under load, many concurrent
 * exchanges share one commit (the end of the loop turn, `setImmediate`). When the engine was idle — nothing
 * queued and no commit for {@link IDLE_MS} — there is nobody to share with, so the write commits at once and
 * its continuation runs before `enqueue` returns: a lone request is not kept waiting for the loop turn to end
 * (on a quiet machine that wait, the rest of the turn and the check phase, costs 50–80 µs of time to first
 * token; bench:anthropic).
 *
 * This keeps "recorded before forwarded" literal — callers forward bytes in `then` — while the fixed cost of
 * making writes durable is paid once per batch instead of once per write.
 *
 * One bad write (an unknown session) fails only its own caller; a journal failure fails the whole batch.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  /** When the last batch was committed (performance.now(), ms). */
  private lastFlushMs = Number.NEGATIVE_INFINITY;
  /** Number of batches committed and writes they carried, for benchmarks. */
  readonly stats = { batches: 0, writes: 0 };

  constructor(private readonly store: Store) {}

  /**
   * Queues `write` for the next batch; `then` runs after it commits, with the error if it failed — before this
   * returns when the engine was idle (see {@link IDLE_MS}), so callers must not depend on `then` running later.
   */
  enqueue(write: () => void, then: (error?: Error) => void): void {
    this.pending.push({ write, done: then });
    if (!this.scheduled && this.pending.length === 1 && performance.now() - this.lastFlushMs > IDLE_MS) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
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
    this.lastFlushMs = performance.now();
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
    batch.forEach((item, i) => {
      try {
        item.done(errors[i]);
      } catch {
        // A continuation's failure belongs to its exchange, never to the others in the batch.
      }
    });
  }
}
