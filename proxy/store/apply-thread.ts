import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JournalPosition } from './journal.js';
import type { JournalLine } from './journal-line.js';

/** What the apply thread is started with (its `workerData`). */
export interface ApplyThreadInit {
  /** The SQLite file. */
  path: string;
  /** better-sqlite3 native module to load instead of the default (see Store.open). */
  nativeBinding: string | undefined;
  /**
   * Three BigInt64 slots: [0] last applied line number; [1] 1 once the thread's connection is closed with
   * everything applied, 2 once it is closed with the rest refused by SQLite (left in the journal); [2] while SQLite refuses the thread's writes, how many
   * attempts it refused (0 while it takes them). Each slot is notified when it changes.
   */
  shared: SharedArrayBuffer;
  applyDelayMs: number;
  maxQueued: number;
  /** How long the thread's connection waits for a lock another process holds before giving up (ms). */
  busyTimeoutMs: number;
}

/** Messages to the apply thread. */
export type ToApplyThread =
  /**
   * Journal lines in order, as text or as UTF-8 bytes; `end` is the position after the last, `line_number`
   * the last one's number.
   */
  | { type: 'lines'; lines: Array<string | Uint8Array>; end: JournalPosition; line_number: number }
  | { type: 'settle' }
  | { type: 'close' }
  /** Diagnostics ({@link ApplyThread.fail}): throw, as a bug in the thread would. */
  | { type: 'fail' };

/** Messages from the apply thread. */
export type FromApplyThread =
  | { type: 'applied'; line: number; end: JournalPosition; transactions: number; ops: number }
  | { type: 'warn'; message: string }
  /** SQLite began refusing the thread's writes (`error`: why), or took them again (`error`: null). */
  | { type: 'refusing'; error: string | null };

/** Longest a line waits to be posted (ms): lines posted together cost one message and one thread wake-up. */
const POST_DELAY_MS = 2;
/** How long a read waits for the thread before going on without the newest writes (ms). */
const SETTLE_TIMEOUT_MS = 5_000;
/** While SQLite refuses the thread's writes, how long a read waits for one more attempt (ms)… */
const REFUSING_WAIT_MS = 100;
/** …and how long after such a wait later reads go on without waiting at all (ms). */
const REFUSING_QUIET_MS = 1_000;
/** How long closing waits for the thread to apply the rest and close its connection (ms). */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * The engine's side of the apply thread (apply-worker.ts): journal lines are posted to it in batches (at most
 * 2 ms apart), and it applies them to SQLite on its own connection, so large transactions never run on the proxies'
 * event loop. {@link ApplyThread.settle} waits for it synchronously (Atomics.wait on shared memory), which is
 * how the store's reads see every earlier write — but never while SQLite is refusing the thread's writes (a
 * full disk): reads then go on at once without the newest writes, which wait safely in the journal.
 *
 * A thread is never terminated while it may be inside SQLite (better-sqlite3 aborts the process then); it is
 * only replaced after it has exited, and the engine then applies the rest from the journal itself.
 */
export class ApplyThread {
  private readonly worker: Worker;
  private readonly shared: BigInt64Array;
  private sent = 0;
  /** Lines not yet posted, and the position after the last of them. */
  private outgoing: JournalLine[] = [];
  private outgoingEnd: JournalPosition | undefined;
  private postTimer: NodeJS.Timeout | undefined;
  /** A microtask will arm {@link postTimer}. */
  private armQueued = false;
  /** When a read last waited for an attempt while SQLite refused (Date.now() ms). */
  private refusedWaitMs = Number.NEGATIVE_INFINITY;
  private exited = false;

  /**
   * Starts the thread on the SQLite file at `path`. `onApplied(end, transactions, ops)` runs on this thread
   * after the thread applied up to `end`; `onExit` once it has exited unexpectedly (its connection is gone).
   */
  constructor(
    path: string,
    options: { applyDelayMs: number; maxQueued: number; busyTimeoutMs: number },
    events: {
      onApplied: (end: JournalPosition, transactions: number, ops: number) => void;
      onExit: (error: Error) => void;
      /** SQLite began refusing the thread's writes (why), or took them again (null). */
      onRefusing: (error: string | null) => void;
      warn: (message: string) => void;
    },
  ) {
    const memory = new SharedArrayBuffer(3 * BigInt64Array.BYTES_PER_ELEMENT);
    this.shared = new BigInt64Array(memory);
    const init: ApplyThreadInit = {
      path,
      nativeBinding: process.env.GLASSBOX_SQLITE_BINDING,
      shared: memory,
      applyDelayMs: options.applyDelayMs,
      maxQueued: options.maxQueued,
      busyTimeoutMs: options.busyTimeoutMs,
    };
    const script = workerScript();
    this.worker =
      'source' in script
        ? new Worker(script.source, { eval: true, workerData: init })
        : new Worker(script.url, { workerData: init });
    this.worker.unref();
    this.worker.on('message', (message: FromApplyThread) => {
      if (message.type === 'warn') events.warn(message.message);
      else if (message.type === 'refusing') events.onRefusing(message.error);
      else events.onApplied(message.end, message.transactions, message.ops);
    });
    let failure: Error | undefined;
    this.worker.on('error', (error) => {
      failure = error;
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      if (Atomics.load(this.shared, 1) === 0n)
        events.onExit(failure ?? new Error(`the apply thread exited with code ${code}`));
    });
  }

  /** True while lines sent to the thread wait to be applied. */
  get hasQueued(): boolean {
    return Number(Atomics.load(this.shared, 0)) < this.sent;
  }

  /** True while SQLite refuses the thread's writes (it retries every 100 ms). */
  get refusing(): boolean {
    return Atomics.load(this.shared, 2) > 0n;
  }

  /** Queues one journal line (ending at `end`) for the thread; posted within 2 ms with the lines after it. */
  send(line: JournalLine, end: JournalPosition): void {
    this.sent++;
    this.outgoing.push(line);
    this.outgoingEnd = end;
    if (this.postTimer || this.armQueued) return;
    // The timer is armed once the caller's synchronous work is done (a request forwarded after its record is
    // durable): arming it costs tens of µs on a cold path, and nothing is waiting for it.
    this.armQueued = true;
    queueMicrotask(() => {
      this.armQueued = false;
      if (this.outgoing.length > 0) this.postTimer ??= setTimeout(() => this.post(), POST_DELAY_MS);
    });
  }

  /**
   * Waits (blocking this thread, at most 5 s) until the thread has applied every line sent. While SQLite
   * refuses the thread's writes (a full disk) it waits only for the outcome of one more attempt, at most
   * 100 ms, and at most once a second (reads in between go on at once): reads never stall the event loop on
   * a store that cannot take writes.
   * @returns false when it did not get there (SQLite refusing or busy elsewhere, or the thread gone): the
   *   caller reads without the newest writes, which stay queued and journaled
   */
  settle(): boolean {
    if (!this.hasQueued) return true;
    if (this.exited) return false;
    const refused = Atomics.load(this.shared, 2);
    if (refused > 0n && Date.now() - this.refusedWaitMs < REFUSING_QUIET_MS) return false;
    this.post();
    this.worker.postMessage({ type: 'settle' } satisfies ToApplyThread);
    if (refused > 0n) {
      this.refusedWaitMs = Date.now();
      Atomics.wait(this.shared, 2, refused, REFUSING_WAIT_MS);
      return !this.hasQueued;
    }
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const applied = Atomics.load(this.shared, 0);
      if (Number(applied) >= this.sent) return true;
      if (this.refusing) return false;
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.shared, 0, applied, left) === 'timed-out') return false;
    }
  }

  /**
   * Lets the thread apply the rest and close its connection (waiting up to 10 s; once SQLite refuses the
   * rest, the thread closes without it).
   * @returns true when everything sent was applied; false otherwise (what was not applied is still in the
   *   journal, replayed at the next start; a thread still busy after 10 s is left to finish on its own)
   */
  close(): boolean {
    if (this.exited) return false;
    this.post();
    this.worker.postMessage({ type: 'close' } satisfies ToApplyThread);
    Atomics.wait(this.shared, 1, 0n, CLOSE_TIMEOUT_MS);
    const state = Atomics.load(this.shared, 1);
    // Its connection is closed: ending the thread cannot interrupt SQLite.
    if (state !== 0n) void this.worker.terminate();
    return state === 1n;
  }

  /**
   * Diagnostics, for tests of the engine's takeover: makes the thread fail as an uncaught error in it would,
   * dropping the lines it holds unapplied. The thread fails between two of its tasks (when it reads this
   * request), so never inside SQLite; lines sent before are posted first and are among those dropped, lines
   * sent after never reach it. Its exit then runs `onExit` as any unexpected exit does.
   * @returns a promise resolved once the thread has exited and `onExit` has run
   */
  fail(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.exited) resolve();
      else this.worker.once('exit', () => resolve()); // after the constructor's listener, which runs onExit
    });
    this.post();
    this.worker.postMessage({ type: 'fail' } satisfies ToApplyThread);
    return exited;
  }

  private post(): void {
    clearTimeout(this.postTimer);
    this.postTimer = undefined;
    if (this.outgoing.length === 0 || !this.outgoingEnd || this.exited) return;
    const message: ToApplyThread = {
      type: 'lines',
      // A line in pieces is joined here, after the request it records went on (posting copies it anyway).
      lines: this.outgoing.map((line) => (typeof line === 'string' ? line : Buffer.concat(line))),
      end: this.outgoingEnd,
      line_number: this.sent,
    };
    this.outgoing = [];
    this.worker.postMessage(message);
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
