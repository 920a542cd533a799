import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { UserError } from './common/errors.js';

/**
 * Takes the engine lock: a pid file under the data directory. Only one engine may write a store, and start-up
 * recovery (marking `live` sessions interrupted) is only safe when no other engine is running.
 * A lock whose process is gone is taken over.
 * @returns a function that releases the lock
 * @throws UserError when a live engine holds it
 */
export function takeEngineLock(path: string): () => void {
  const holder = readHolder(path);
  if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
    throw new UserError(
      `Another Glassbox engine (pid ${holder}) is using this data directory. Stop it first, or set GLASSBOX_HOME to another directory.`,
    );
  }
  writeFileSync(path, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    if (readHolder(path) === process.pid) rmSync(path, { force: true });
  };
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
