import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JournalPosition } from './journal.js';
import type { StoreOp } from './ops.js';

/** What the apply thread is started with (its `workerData`). */
export interface ApplyThreadInit {
  /** The SQLite file. */
  path: string;
  /** better-sqlite3 native module to load instead of the default (see Store.open). */
  nativeBinding: string | undefined;
  /** Two BigInt64 slots: [0] last applied line number, [1] 1 once the thread's connection is closed. */
  shared: SharedArrayBuffer;
  applyDelayMs: number;
  maxQueued: number;
}

/** Messages to the apply thread. */
export type ToApplyThread =
  /** Journal lines in order; `end` is the position after the last, `line_number` the last one's number. */
  | { type: 'lines'; lines: string[]; end: JournalPosition; line_number: number }
  | { type: 'settle' }
  | { type: 'close' };

/** Messages from the apply thread. */
export type FromApplyThread =
  | { type: 'applied'; line: number; end: JournalPosition; transactions: number; ops: number }
  | { type: 'warn'; message: string };

/** A journal line the thread has been sent and not yet applied. */
export interface UnappliedLine {
  line: number;
  ops: readonly StoreOp[];
  end: JournalPosition;
}

/** Longest a line waits before it is posted to the thread (ms): lines posted together cost one message. */
const POST_DELAY_MS = 2;
/** How long the engine waits for the thread before taking over its work (ms). */
const SETTLE_TIMEOUT_MS = 10_000;

/**
 * The engine's side of the apply thread (apply-worker.ts): journaled writes are sent to it as they are
 * written, and it applies them to SQLite on its own connection, so large transactions never stall the
 * proxies' event loop. {@link ApplyThread.settle} waits for it synchronously (Atomics.wait on shared memory),
 * which is what lets the store's reads see every earlier write. Lines stay listed here until applied, so
 * that if the thread dies the engine can apply them itself.
 */
export class ApplyThread {
  private readonly worker: Worker;
  private readonly shared: BigInt64Array;
  private sent = 0;
  private unapplied: UnappliedLine[] = [];
  /** Lines not yet posted to the thread. */
  private outgoing: string[] = [];
  private postTimer: NodeJS.Timeout | undefined;
  private failed = false;

  /**
   * Starts the thread on the SQLite file at `path`. `onApplied(end, transactions, ops)` runs on this thread
   * after each of its transactions (and after a settle); `onFailure` when the thread died or stopped
   * answering, after which it must not be used.
   */
  constructor(
    path: string,
    options: { applyDelayMs: number; maxQueued: number },
    private readonly events: {
      onApplied: (end: JournalPosition, transactions: number, ops: number) => void;
      onFailure: (error: Error) => void;
      warn: (message: string) => void;
    },
  ) {
    const memory = new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
    this.shared = new BigInt64Array(memory);
    const init: ApplyThreadInit = {
      path,
      nativeBinding: process.env.GLASSBOX_SQLITE_BINDING,
      shared: memory,
      applyDelayMs: options.applyDelayMs,
      maxQueued: options.maxQueued,
    };
    const script = workerScript();
    this.worker =
      'source' in script
        ? new Worker(script.source, { eval: true, workerData: init })
        : new Worker(script.url, { workerData: init });
    this.worker.unref();
    this.worker.on('message', (message: FromApplyThread) => {
      if (message.type === 'warn') events.warn(message.message);
      else {
        this.prune();
        events.onApplied(message.end, message.transactions, message.ops);
      }
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (Atomics.load(this.shared, 1) !== 1n)
        this.fail(new Error(`the apply thread exited with code ${code}`));
    });
  }

  /** True while lines sent to the thread wait to be applied. */
  get hasQueued(): boolean {
    return Number(Atomics.load(this.shared, 0)) < this.sent;
  }

  /** Sends one journal line (the ops it holds, and the position after it) to be applied. */
  send(line: string, ops: readonly StoreOp[], end: JournalPosition): void {
    this.sent++;
    this.unapplied.push({ line: this.sent, ops, end });
    this.outgoing.push(line);
    this.postTimer ??= setTimeout(() => this.post(), POST_DELAY_MS);
  }

  /** Posts the lines waiting to be sent as one message (off the path of the write that queued them). */
  private post(): void {
    clearTimeout(this.postTimer);
    this.postTimer = undefined;
    const last = this.unapplied.at(-1);
    if (this.outgoing.length === 0 || !last) return;
    const message: ToApplyThread = {
      type: 'lines',
      lines: this.outgoing,
      end: last.end,
      line_number: last.line,
    };
    this.outgoing = [];
    this.worker.postMessage(message);
  }

  /**
   * Waits (blocking this thread, at most 10 s) until the thread has applied every line sent.
   * @returns false when it did not answer in time (it is then considered failed)
   */
  settle(): boolean {
    if (this.failed) return false;
    if (!this.hasQueued) return true;
    this.post();
    this.worker.postMessage({ type: 'settle' } satisfies ToApplyThread);
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const applied = Atomics.load(this.shared, 0);
      if (Number(applied) >= this.sent) break;
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.shared, 0, applied, left) === 'timed-out') {
        this.fail(new Error(`the apply thread did not answer within ${SETTLE_TIMEOUT_MS / 1000} s`));
        return false;
      }
    }
    const last = this.unapplied.at(-1);
    this.prune();
    if (last) this.events.onApplied(last.end, 0, 0);
    return true;
  }

  /** Lines sent but not applied (for the engine to apply itself after a failure). */
  takeUnapplied(): UnappliedLine[] {
    this.prune();
    const lines = this.unapplied;
    this.unapplied = [];
    return lines;
  }

  /** Applies what was sent, closes the thread's connection (waiting up to 10 s) and ends the thread. */
  close(): void {
    if (!this.failed && this.settle()) {
      this.worker.postMessage({ type: 'close' } satisfies ToApplyThread);
      Atomics.wait(this.shared, 1, 0n, SETTLE_TIMEOUT_MS);
    }
    this.failed = true;
    void this.worker.terminate();
  }

  private prune(): void {
    const applied = Number(Atomics.load(this.shared, 0));
    let drop = 0;
    while (drop < this.unapplied.length && this.unapplied[drop]!.line <= applied) drop++;
    if (drop > 0) this.unapplied = this.unapplied.slice(drop);
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    clearTimeout(this.postTimer);
    void this.worker.terminate();
    this.events.onFailure(error);
  }
}

/**
 * The worker's script: the compiled `apply-worker.js` next to this module, or — when the engine runs from its
 * TypeScript sources (tests, `tsx`) — a bootstrap that registers tsx in the worker, then loads
 * `apply-worker.ts`.
 */
function workerScript(): { url: URL } | { source: string } {
  const compiled = new URL('./apply-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { url: compiled };
  const source = new URL('./apply-worker.ts', import.meta.url).href;
  return {
    source: `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`,
  };
}
