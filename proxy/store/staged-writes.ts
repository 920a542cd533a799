import type { ChangeFeed } from './change-feed.js';
import type { Heads } from './heads.js';
import type { Ingest } from './ingest.js';
import type { StoreOp } from './ops.js';
import type { StoreChange } from './types.js';

/** What a {@link StagedWrites.batch} holds back until its writes are durable. */
interface Staged {
  ops: StoreOp[];
  changes: StoreChange[];
  /** Sessions whose row changed. */
  sessions: Set<string>;
}

/**
 * How the store's writes and their change notifications go out: every write of the store is made in a batch
 * (one of its own unless {@link StagedWrites.batch} is open), whose ops and notifications are held back and
 * sent together once the ops are durable (see Store.batch). A batch that cannot be made durable is undone:
 * the heads it advanced go back to how they were and nothing is announced.
 */
export class StagedWrites {
  private staged: Staged | undefined;

  constructor(
    private readonly ingest: Ingest,
    private readonly heads: Heads,
    private readonly feed: ChangeFeed,
  ) {}

  /**
   * Store.batch: runs `fn`, then makes its writes durable together and announces them; returns what `fn`
   * returns. Nested calls join the outer batch.
   * @throws whatever `fn` throws (after the writes it made before are written), or the write error (the
   *   heads are then back to how they were before the batch)
   */
  batch<T>(fn: () => T): T {
    if (this.staged) return fn();
    const staged: Staged = { ops: [], changes: [], sessions: new Set() };
    this.staged = staged;
    this.heads.begin();
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.finish(staged);
      throw error;
    }
    this.finish(staged);
    return result;
  }

  /**
   * Closes the open batch: writes its ops, then announces them; undoes the heads' changes when the write fails.
   * @throws the write's error
   */
  private finish(staged: Staged): void {
    this.staged = undefined;
    try {
      this.ingest.write(staged.ops);
    } catch (error) {
      this.heads.rollback();
      throw error;
    }
    this.heads.commit();
    for (const change of staged.changes) this.emit(change);
    for (const id of staged.sessions) this.feed.mark(id);
  }

  /** Stages ops in the open batch (every write of the store runs in one). */
  write(ops: StoreOp[]): void {
    if (!this.staged) throw new Error('a store write outside a batch');
    for (const op of ops) this.staged.ops.push(op);
  }

  /** Announces a session's new row once SQLite holds it. */
  emitSession(id: string): void {
    if (!this.feed.listening) return;
    if (this.staged) this.staged.sessions.add(id);
    else this.feed.mark(id);
  }

  /** Publishes a change, or holds it until the open batch is durable. */
  emit(change: StoreChange): void {
    if (this.staged) {
      this.staged.changes.push(change);
      return;
    }
    this.feed.publish(change);
  }
}
