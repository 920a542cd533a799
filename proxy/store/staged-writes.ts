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
 * How the store's writes and their change notifications go out: at once, or, while a batch is open, held back
 * and sent together once the batch's writes are durable (see Store.batch).
 */
export class StagedWrites {
  private staged: Staged | undefined;

  constructor(
    private readonly ingest: Ingest,
    private readonly heads: Heads,
    private readonly feed: ChangeFeed,
  ) {}

  /** Store.batch: runs `fn`, then makes its writes durable together and announces them. */
  batch(fn: () => void): void {
    if (this.staged) {
      fn();
      return;
    }
    const staged: Staged = { ops: [], changes: [], sessions: new Set() };
    this.staged = staged;
    try {
      fn();
    } finally {
      this.staged = undefined;
      this.write(staged.ops);
      for (const change of staged.changes) this.emit(change);
      for (const id of staged.sessions) this.feed.mark(id);
    }
  }

  /**
   * Writes ops durably, or stages them when a batch is open. When they cannot be made durable,
   * the heads they advanced are dropped (reloaded from SQLite on next use) and the error is rethrown.
   */
  write(ops: StoreOp[]): void {
    if (this.staged) {
      for (const op of ops) this.staged.ops.push(op);
      return;
    }
    try {
      this.ingest.write(ops);
    } catch (error) {
      this.heads.forget(ops.map((op) => (op.op === 'session' ? op.id : op.session_id)));
      throw error;
    }
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
