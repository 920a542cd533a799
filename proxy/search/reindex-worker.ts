/**
 * The re-index thread (a worker_threads worker started by {@link ReindexThread}): on a SQLite connection of
 * its own, it re-indexes the events stored before the engine started, a page at a time
 * (store/search-index.ts, rebuildPage), until none are left or it is asked to stop (`stop`, handled between
 * pages, so it is never stopped inside SQLite). It posts `done` (finished or stopped, events indexed) or
 * `failed`, then exits. A page SQLite refuses for a passing reason (the lock, a full disk) is tried again.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { rebuildPage } from '../store/search-index.js';
import { INDEXED_KINDS, rebuildIndexer } from './event-text.js';
import type { FromReindexThread, ReindexInit, ToReindexThread } from './reindex-thread.js';

/** Events per page: a page's text is derived outside any transaction, then written in a short one. */
const PAGE = 200;
/** How soon a page SQLite refused is tried again (ms). */
const RETRY_MS = 200;

const init = workerData as ReindexInit;
const port = parentPort!;
const post = (message: FromReindexThread) => port.postMessage(message);
const state = { stopping: false };
port.on('message', (message: ToReindexThread) => {
  if (message.type === 'stop') state.stopping = true;
});

/** Runs pages until the rebuild is over (true) or a stop is asked (false); the events indexed in `count`. */
async function run(db: Database.Database, count: { indexed: number }): Promise<boolean> {
  const indexer = rebuildIndexer();
  for (;;) {
    if (state.stopping) return false;
    try {
      const page = rebuildPage(db, INDEXED_KINDS, indexer, PAGE);
      count.indexed += page.indexed;
      if (page.done) return true;
      await new Promise((resolve) => setImmediate(resolve));
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (!/^SQLITE_(BUSY|LOCKED|FULL|IOERR)/.test(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

const db = new Database(init.path, init.nativeBinding ? { nativeBinding: init.nativeBinding } : {});
db.pragma(`busy_timeout = ${init.busyTimeoutMs}`);
const count = { indexed: 0 };
run(db, count).then(
  (finished) => {
    db.close();
    post({ type: 'done', finished, indexed: count.indexed });
    process.exit(0);
  },
  (error: unknown) => {
    db.close();
    post({ type: 'failed', message: (error as Error).message ?? String(error), indexed: count.indexed });
    process.exit(0);
  },
);
