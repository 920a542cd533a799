import { reached } from './apply.js';
import type { JournalPosition } from './journal.js';
import type { Session, StoreChange } from './types.js';

/** What the announcer needs to know about ingestion. */
export interface IngestProgress {
  /** True while journaled writes wait for SQLite. */
  readonly hasQueued: boolean;
  /** The position after the last journaled write (undefined without a journal). */
  readonly position: JournalPosition | undefined;
}

/**
 * The store's change feed for live subscribers (the control API's WebSocket). A changed session row is
 * announced only once SQLite holds the change: a session marked while writes are queued is remembered with
 * the journal position of its change and announced when ingestion has applied that far, so the row read then
 * is never older than the change.
 */
export class ChangeFeed {
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private readonly dirty = new Map<string, JournalPosition | undefined>();

  constructor(
    private readonly ingest: IngestProgress,
    private readonly readSession: (id: string) => Session | undefined,
  ) {}

  /** True when someone listens (changes need not be prepared otherwise). */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /** Adds a listener; returns the function removing it. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a change to every listener; a listener's failure never reaches the writer. */
  publish(change: StoreChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A subscriber's failure must never affect recording.
      }
    }
  }

  /** A session's row changed (its write is durable): announce it now, or once SQLite holds the change. */
  mark(id: string): void {
    if (this.ingest.hasQueued) this.dirty.set(id, this.ingest.position);
    else this.announce(id);
  }

  /** SQLite now holds every write up to `end` (undefined: every write so far). */
  applied(end: JournalPosition | undefined): void {
    for (const [id, mark] of this.dirty) {
      if (end && mark && !reached(end, mark)) continue;
      this.dirty.delete(id);
      this.announce(id);
    }
  }

  /**
   * Reads the session's row and publishes it. Never throws: it runs after a write is durable (and on the
   * apply thread's notice), where a failed read (SQLite busy or failing) must not be taken for a failed write,
   * nor escape the event loop; subscribers then see the change with the session's next one.
   */
  private announce(id: string): void {
    let session: Session | undefined;
    try {
      session = this.readSession(id);
    } catch {
      return;
    }
    if (session) this.publish({ type: 'session', session });
  }
}
