/**
 * The store's apply thread (a worker_threads worker started by {@link ApplyThread}): it owns a second SQLite
 * connection and applies journaled writes in large transactions, off the proxies' event loop. Messages in:
 * `lines` (journal lines in order, with the position after the last and its number), `settle` (apply now),
 * `close`, and `fail` (diagnostics: throw, to test the engine's takeover). It publishes the last applied line
 * number in shared memory (slot 0, so the engine can wait for it synchronously) and posts `applied`
 * messages; slot 1 becomes 1 once its connection is closed. When SQLite
 * refuses a transaction for a passing reason (locked by another process, disk full), everything stays queued
 * and is tried again every 100 ms; nothing is ever published as applied that is not committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createApplier } from './apply.js';
import type { ApplyThreadInit, FromApplyThread, ToApplyThread } from './apply-thread.js';
import type { JournalPosition } from './journal.js';
import type { StoreOp } from './ops.js';

const RETRY_MS = 100;

const init = workerData as ApplyThreadInit;
const port = parentPort;
if (!port) throw new Error('apply-worker.ts runs only as a worker thread');
const db = new Database(init.path, init.nativeBinding ? { nativeBinding: init.nativeBinding } : {});
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma(`busy_timeout = ${init.busyTimeoutMs}`);
const applier = createApplier(db);
const shared = new BigInt64Array(init.shared);
const post = (message: FromApplyThread) => port.postMessage(message);
const warn = (message: string) => post({ type: 'warn', message });

let queue: StoreOp[] = [];
let last: { end: JournalPosition; line: number } | undefined;
let timer: NodeJS.Timeout | undefined;
let failing = false;

function apply(): void {
  clearTimeout(timer);
  timer = undefined;
  if (!last) return;
  const reached = last;
  try {
    applier.apply(queue, reached.end, warn);
  } catch (error) {
    if (!failing) warn(`SQLite refused the recorded writes for now (${(error as Error).message}); retrying`);
    failing = true;
    timer = setTimeout(apply, RETRY_MS);
    return;
  }
  if (failing) warn('SQLite took the recorded writes again');
  failing = false;
  const ops = queue.length;
  queue = [];
  last = undefined;
  Atomics.store(shared, 0, BigInt(reached.line));
  Atomics.notify(shared, 0);
  post({ type: 'applied', line: reached.line, end: reached.end, transactions: 1, ops });
}

port.on('message', (message: ToApplyThread) => {
  switch (message.type) {
    case 'lines': {
      for (const line of message.lines) {
        try {
          for (const op of JSON.parse(line) as StoreOp[]) queue.push(op);
        } catch (error) {
          warn(`could not read a journal line in the apply thread: ${(error as Error).message}`);
        }
      }
      last = { end: message.end, line: message.line_number };
      if (queue.length >= init.maxQueued && !failing) apply();
      else timer ??= setTimeout(apply, init.applyDelayMs);
      return;
    }
    case 'settle':
      apply();
      return;
    case 'close':
      apply();
      if (last) return; // still failing: the engine stops waiting, and the journal keeps the rest
      db.close();
      Atomics.store(shared, 1, 1n);
      Atomics.notify(shared, 1);
      port.close();
      return;
    case 'fail':
      throw new Error('failure requested by the engine (diagnostics)');
  }
});
