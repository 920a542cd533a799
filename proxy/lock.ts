import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { UserError } from './common/errors.js';

/**
 * Takes the engine lock: a pid file under the data directory. Only one engine may write a store, and start-up
 * recovery (marking `live` sessions interrupted) is only safe when no other engine is running.
 * A lock whose process is gone is taken over.
 * @returns a function that releases the lock
 * @throws UserError when a live engine holds it
 */
export function takeEngineLock(path: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // Exclusive create: of two engines starting at once, only one gets the file.
      writeFileSync(path, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
      return () => {
        if (readHolder(path) === process.pid) rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        // Created but not written (a full disk): an empty lock would only look stale to the next start.
        removeIfEmpty(path);
        throw error;
      }
    }
    const holder = readHolder(path);
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      throw new UserError(
        `Another Glassbox engine (pid ${holder}) is using this data directory. Stop it first, or set GLASSBOX_HOME to another directory.`,
      );
    }
    // The holder is gone (or the file is unreadable): remove the stale lock and try again.
    rmSync(path, { force: true });
  }
  throw new UserError(`Could not take the engine lock ${path}; remove it if no engine is running.`);
}

/** The pid of the live engine holding the lock at `path`, or undefined when no engine is running. */
export function runningEngine(path: string): number | undefined {
  const holder = readHolder(path);
  return holder !== undefined && isAlive(holder) ? holder : undefined;
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfEmpty(path: string): void {
  try {
    if (statSync(path).size === 0) rmSync(path, { force: true });
  } catch {
    // Not there: nothing to remove.
  }
}
