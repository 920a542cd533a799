import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** What the re-index thread is started with (its `workerData`). */
export interface ReindexInit {
  /** The SQLite file. */
  path: string;
  /** better-sqlite3 native module to load instead of the default (see Store.open). */
  nativeBinding: string | undefined;
  /** How long its connection waits for the lock the apply thread holds (ms). */
  busyTimeoutMs: number;
}

/** Messages to the re-index thread. */
export type ToReindexThread = { type: 'stop' };

/** Messages from it: the rebuild finished or was stopped (`finished` false), or failed; events indexed. */
export type FromReindexThread =
  | { type: 'done'; finished: boolean; indexed: number }
  | { type: 'failed'; message: string; indexed: number };

/** How long stopping waits for the thread to finish its page and close its connection (ms). */
const STOP_TIMEOUT_MS = 10_000;

/**
 * Re-indexes the events stored before the engine started, on a thread of its own (reindex-worker.ts), once the
 * store has begun a rebuild (Store.beginSearchRebuild): new events are indexed as they are recorded, so the
 * engine serves at once while sessions recorded by an older Glassbox become findable by the new text over
 * the next seconds or minutes. Progress is committed page by page; a rebuild stopped or cut short goes on at
 * the next start.
 */
export class ReindexThread {
  /** Settles when the thread has exited: how it ended. Never rejects. */
  readonly done: Promise<FromReindexThread>;
  private readonly worker: Worker;

  /** Starts the thread on the SQLite file at `path`; `warn` hears of a rebuild that failed. */
  constructor(path: string, warn: (message: string) => void, busyTimeoutMs = 5_000) {
    const init: ReindexInit = { path, nativeBinding: process.env.GLASSBOX_SQLITE_BINDING, busyTimeoutMs };
    const script = workerScript();
    this.worker =
      'source' in script
        ? new Worker(script.source, { eval: true, workerData: init })
        : new Worker(script.url, { workerData: init });
    this.worker.unref();
    this.done = new Promise((resolve) => {
      let last: FromReindexThread = {
        type: 'failed',
        message: 'the thread exited without a word',
        indexed: 0,
      };
      this.worker.on('message', (message: FromReindexThread) => {
        last = message;
      });
      this.worker.on('error', (error) => {
        last = { type: 'failed', message: error.message, indexed: 0 };
      });
      this.worker.on('exit', () => {
        if (last.type === 'failed')
          warn(
            `re-indexing recorded sessions for search stopped (${last.message}); it goes on at the next start`,
          );
        resolve(last);
      });
    });
  }

  /** Asks the thread to stop after its current page and waits for it (at most 10 s). */
  async stop(): Promise<void> {
    this.worker.postMessage({ type: 'stop' } satisfies ToReindexThread);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
}

/** The worker's entry: the compiled .js next to this file, else the .ts source through tsx (tests). */
function workerScript(): { url: URL } | { source: string } {
  const compiled = new URL('./reindex-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { url: compiled };
  const source = new URL('./reindex-worker.ts', import.meta.url).href;
  return {
    source: `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`,
  };
}
