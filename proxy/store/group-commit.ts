import type { Store } from './store.js';

/** A write and what to do once it is durable (or failed). */
interface PendingWrite {
  write: () => void;
  then: (error?: Error) => void;
}

/**
 * Group commit: writes requested during one turn of the event loop run in a single SQLite transaction, and
 * each caller's continuation runs only after that transaction has committed. Under load, many concurrent
 * exchanges share one commit; when idle, a write waits only until the end of the current loop turn
 * (`setImmediate`), microseconds.
 *
 * This keeps "recorded before forwarded" literal — callers forward bytes in `then` — while a commit's fixed
 * cost (WAL frame writes) is paid once per batch instead of once per write.
 *
 * A batch that fails is retried write by write, so one bad write (a constraint error) does not fail the rest;
 * each caller gets its own error.
 */
export class GroupCommit {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  /** Number of batches committed and writes they carried, for benchmarks. */
  readonly stats = { batches: 0, writes: 0 };

  constructor(private readonly store: Store) {}

  /** Queues `write` for the next batch; `then` runs after it commits, with the error if it failed. */
  enqueue(write: () => void, then: (error?: Error) => void): void {
    this.pending.push({ write, then });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commits everything queued now (also used at shutdown so nothing queued is lost). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let errors: Array<Error | undefined>;
    try {
      this.store.batch(() => {
        for (const item of batch) item.write();
      });
      errors = batch.map(() => undefined);
    } catch {
      errors = batch.map((item) => {
        try {
          this.store.batch(item.write);
          return undefined;
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    }
    this.stats.batches++;
    this.stats.writes += batch.length;
    batch.forEach((item, i) => {
      try {
        item.then(errors[i]);
      } catch {
        // A continuation's failure belongs to its exchange, never to the others in the batch.
      }
    });
  }
}
