/**
 * The lock every process holds while it changes a home's tokens (a refresh; login and logout should take it
 * too): proper-lockfile on `homePaths(home).identityLock`, an atomic `mkdir` of `identity.lock.lock` whose
 * mtime the holder touches every `stale / 2` ms, so the lock of a process that died is taken over after
 * `stale` ms (proper-lockfile's stale-lock recovery). Processes on one machine only (not for network file
 * systems without atomic mkdir).
 */
import { mkdirSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { homePaths } from '../config.js';
import { IdentityError } from './errors.js';

/** Options of {@link withIdentityLock}. */
export interface IdentityLockOptions {
  /** About the longest to wait for another holder, ms. Default 60 000 (a refresh may take two 15 s requests). */
  waitMs?: number;
  /** A lock untouched this long is taken over, ms. Default 20 000. */
  staleMs?: number;
  /** Stops the wait (IdentityError `cancelled`); a held lock is not affected. */
  signal?: AbortSignal;
}

/**
 * Runs `fn` holding the home's identity lock, and releases it afterwards (also when `fn` throws).
 * @throws IdentityError `store` when the lock cannot be had within `waitMs` (another process holds it) or the
 *   home cannot hold a lock, `cancelled` when `signal` stopped the wait; whatever `fn` throws
 */
export async function withIdentityLock<T>(
  home: string,
  fn: () => Promise<T>,
  options: IdentityLockOptions = {},
): Promise<T> {
  const file = homePaths(home).identityLock;
  const waitMs = options.waitMs ?? 60_000;
  const deadline = Date.now() + waitMs;
  let release: (() => Promise<void>) | undefined;
  for (let attempt = 0; !release; attempt++) {
    try {
      mkdirSync(home, { recursive: true, mode: 0o700 });
      release = await lockfile.lock(file, {
        realpath: false,
        stale: options.staleMs ?? 20_000,
        // The default throws from a timer (an uncaught exception): a lost lock only means a refresh might race.
        onCompromised: () => undefined,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw new IdentityError('store', `Cannot lock ${file} (${(error as Error).message}).`);
      }
      if (options.signal?.aborted) {
        throw new IdentityError('cancelled', 'Stopped waiting for the sign-in lock.');
      }
      if (Date.now() >= deadline) {
        throw new IdentityError(
          'store',
          `Another Glassbox process has been changing the sign-in for over ${Math.round(waitMs / 1000)} s ` +
            `(${file}.lock); try again.`,
        );
      }
      // 25 ms doubling to 500 ms: a refresh holds the lock for one or two round trips to the provider.
      await sleep(Math.min(500, 25 * 2 ** attempt, Math.max(1, deadline - Date.now())), options.signal);
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
