import { type FSWatcher, unwatchFile, watch, watchFile } from 'node:fs';
import { basename } from 'node:path';

/** A running {@link watchFiles}; `close` stops it (a pending call of `onChange` is dropped). */
export interface FileWatch {
  close(): void;
}

/** Options of {@link watchFiles}. */
export interface FileWatchOptions {
  /** Quiet time after a change before `onChange` runs, ms (editors write a file in several steps). */
  settleMs?: number;
  /** Told why the directory cannot be watched when watching falls back to polling the files every 2 s. */
  onFallback?: (error: unknown) => void;
}

/** How often files are polled when their directory cannot be watched, ms. */
const POLL_MS = 2_000;

/**
 * Calls `onChange` once things settle after any of `paths` — files directly in `dir` — changes, is created,
 * replaced (an editor's rename) or deleted. Watches the directory rather than the files, so a file that does
 * not exist yet or is replaced by a new inode is still seen; where the directory cannot be watched (e.g. no
 * inotify watches left) it polls each file every 2 s instead, once. Events for other files in `dir` are
 * ignored, except a platform's event without a file name, which counts as a change.
 */
export function watchFiles(
  dir: string,
  paths: readonly string[],
  onChange: () => void,
  options: FileWatchOptions = {},
): FileWatch {
  const names = new Set(paths.map((path) => basename(path)));
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let closed = false;

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, options.settleMs ?? 100);
  };
  const poll = (error: unknown) => {
    watcher?.close();
    watcher = undefined;
    if (polling || closed) return;
    polling = true;
    options.onFallback?.(error);
    for (const path of paths) watchFile(path, { interval: POLL_MS, persistent: false }, schedule);
  };
  try {
    watcher = watch(dir, { persistent: false }, (_event, file) => {
      if (file === null || names.has(file.toString())) schedule();
    });
    watcher.on('error', poll);
  } catch (error) {
    poll(error);
  }
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
      if (polling) for (const path of paths) unwatchFile(path, schedule);
    },
  };
}
