/**
 * The store's apply thread (a worker_threads worker started by {@link ApplyThread}): it owns a second SQLite
 * connection and applies journaled writes in large transactions, off the proxies' event loop. Messages in:
 * `lines` (journal lines in order, with the position after the last and its number), `settle` (apply now),
 * `close`, and `fail` (diagnostics: throw, to test the engine's takeover). It publishes the last applied line
 * number in shared memory (slot 0, so the engine can wait for it synchronously) and posts `applied`
 * messages; slot 1 becomes 1 once its connection is closed with everything applied (2 when closing found
 * SQLite refusing the rest, which the journal keeps).
 * When SQLite refuses a transaction for a passing reason (locked by another process, disk full), everything
 * stays queued and is tried again every 100 ms, slot 2 counts the refused attempts meanwhile (so the engine
 * waits for one attempt at most) and a `refusing` message says why; nothing is ever published as applied
 * that is not committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type Applier, createApplier } from './apply.js';
import type { ApplyThreadInit, FromApplyThread, ToApplyThread } from './apply-thread.js';
import type { JournalPosition } from './journal.js';
import { decodeJournalLine } from './journal-line.js';
import type { StoreOp } from './ops.js';

const RETRY_MS = 100;
/**
 * Longest a queue holding only checkpoints of replies still streaming (`inflight_parts`) waits for SQLite
 * (ms), and the journal bytes of them that make it go at once. They are durable in the journal already, and
 * each SQLite transaction writes whole pages (12–24 KB for a checkpoint of a few hundred bytes), so applying
 * them 20 times a second wrote ten times the reply. Anything else queued, and every read (settle), applies
 * them at once; readers of the file from other processes (the CLI) see a reply in flight up to this late.
 */
const CHECKPOINT_DELAY_MS = 5_000;
const CHECKPOINT_BYTES = 256 * 1024;

/**
 * The thread's work: ops waiting for SQLite, the journal position they reach, and the retry after SQLite
 * refused them. One instance per thread (the entry below).
 */
class ApplyLoop {
  private queue: StoreOp[] = [];
  private last: { end: JournalPosition; line: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The timer is the long one of a queue holding only checkpoints ({@link CHECKPOINT_DELAY_MS}). */
  private lazy = false;
  /** Journal bytes of the checkpoints queued since the last transaction. */
  private lazyBytes = 0;
  private failing = false;

  constructor(
    private readonly init: ApplyThreadInit,
    private readonly db: Database.Database,
    private readonly applier: Applier,
    private readonly shared: BigInt64Array,
    private readonly post: (message: FromApplyThread) => void,
  ) {}

  private warn(message: string): void {
    this.post({ type: 'warn', message });
  }

  /** Queues the ops of journal lines ending at `end` (line number `line`) and schedules applying them. */
  receive(lines: ReadonlyArray<string | Uint8Array>, end: JournalPosition, line: number): void {
    let urgent = false;
    for (const text of lines) {
      this.lazyBytes += text.length;
      try {
        for (const op of decodeJournalLine(text)) {
          this.queue.push(op);
          urgent ||= op.op !== 'inflight_parts';
        }
      } catch (error) {
        urgent = true;
        this.warn(`could not read a journal line in the apply thread: ${(error as Error).message}`);
      }
    }
    this.last = { end, line };
    const full = this.queue.length >= this.init.maxQueued || this.lazyBytes >= CHECKPOINT_BYTES;
    if (full && !this.failing) {
      this.apply();
      return;
    }
    if (this.failing) return; // the retry timer runs
    if (urgent && this.lazy) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.timer) return;
    this.lazy = !urgent;
    this.timer = setTimeout(() => this.apply(), urgent ? this.init.applyDelayMs : CHECKPOINT_DELAY_MS);
  }

  /** Applies everything queued in one transaction and publishes the line reached; on failure retries later. */
  apply(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lazy = false;
    this.lazyBytes = 0;
    if (!this.last) return;
    const reached = this.last;
    try {
      this.applier.apply(this.queue, reached.end, (message) => this.warn(message));
    } catch (error) {
      // A read waiting for these writes goes on without them.
      Atomics.add(this.shared, 2, 1n);
      Atomics.notify(this.shared, 2);
      Atomics.notify(this.shared, 0);
      if (!this.failing) {
        this.failing = true;
        const code = (error as { code?: unknown }).code;
        const message = (error as Error).message;
        this.post({ type: 'refusing', error: typeof code === 'string' ? `${code}: ${message}` : message });
      }
      this.timer = setTimeout(() => this.apply(), RETRY_MS);
      return;
    }
    if (this.failing) {
      this.failing = false;
      this.post({ type: 'refusing', error: null });
    }
    const ops = this.queue.length;
    this.queue = [];
    this.last = undefined;
    Atomics.store(this.shared, 0, BigInt(reached.line));
    Atomics.notify(this.shared, 0);
    if (Atomics.exchange(this.shared, 2, 0n) > 0n) Atomics.notify(this.shared, 2);
    this.post({ type: 'applied', line: reached.line, end: reached.end, transactions: 1, ops });
  }

  /**
   * Applies the rest and closes the connection, publishing in slot 1 whether everything was applied (1) or
   * SQLite still refused the rest (2: it is not retried any more; the journal keeps it for the next start).
   */
  close(): void {
    this.apply();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.db.close();
    Atomics.store(this.shared, 1, this.last ? 2n : 1n);
    Atomics.notify(this.shared, 1);
  }
}

const init = workerData as ApplyThreadInit;
const port = parentPort;
if (!port) throw new Error('apply-worker.ts runs only as a worker thread');
const db = new Database(init.path, init.nativeBinding ? { nativeBinding: init.nativeBinding } : {});
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma(`busy_timeout = ${init.busyTimeoutMs}`);
const loop = new ApplyLoop(init, db, createApplier(db), new BigInt64Array(init.shared), (message) =>
  port.postMessage(message),
);

port.on('message', (message: ToApplyThread) => {
  switch (message.type) {
    case 'lines':
      loop.receive(message.lines, message.end, message.line_number);
      return;
    case 'settle':
      loop.apply();
      return;
    case 'close':
      loop.close();
      port.close();
      return;
    case 'fail':
      throw new Error('failure requested by the engine (diagnostics)');
  }
});
