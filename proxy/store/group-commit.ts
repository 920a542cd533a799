import type { Store } from './store.js';

/** A write and what to do once it is durable (or failed). */
interface PendingWrite {
  write: () => void;
  /** Runs after the batch commits (or fails). */
  done: (error?: Error) => void;
}

/**
 * Group commit: writes requested during one turn of the event loop become durable together (one store batch,
 * one journal write), and each caller's continuation runs only after that. Under load, many concurrent
 * exchanges share one commit; when idle, a write waits only until the end of the current loop turn
 * (`setImmediate`), microseconds.
 *
 * This keeps "recorded before forwarded" literal — callers forward bytes in `then` — while the fixed cost of
 * making writes durable is paid once per batch instead of once per write.
 *
 * One bad write (an unknown session) fails only its own caller; a journal failure fails the whole batch.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  /** Number of batches committed and writes they carried, for benchmarks. */
  readonly stats = { batches: 0, writes: 0 };

  /** @param lazyDelayMs longest a lazy write waits for an urgent one to share its commit */
  constructor(
    private readonly store: Store,
    private readonly lazyDelayMs = 5,
  ) {}

  /** Queues `write` for the next batch; `then` runs after it commits, with the error if it failed. */
  enqueue(write: () => void, then: (error?: Error) => void): void {
    this.pending.push({ write, done: then });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Queues a write nothing waits for (an outcome already relayed, a notice): it rides along with the next
   * urgent batch, or commits on its own within `lazyDelayMs`. One client running statement after statement
   * then pays one commit per statement instead of two.
   */
  enqueueLazy(write: () => void): void {
    this.pending.push({ write, done: () => undefined });
    if (!this.scheduled && !this.lazyTimer) this.lazyTimer = setTimeout(() => this.flush(), this.lazyDelayMs);
  }

  /** Commits everything queued now (also used at shutdown so nothing queued is lost). */
  flush(): void {
    this.scheduled = false;
    clearTimeout(this.lazyTimer);
    this.lazyTimer = undefined;
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
