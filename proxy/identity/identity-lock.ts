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
}

/**
 * Runs `fn` holding the home's identity lock, and releases it afterwards (also when `fn` throws).
 * @throws IdentityError `store` when the lock cannot be had within `waitMs` (another process holds it) or the
 *   home cannot hold a lock; whatever `fn` throws
 */
export async function withIdentityLock<T>(
  home: string,
  fn: () => Promise<T>,
  options: IdentityLockOptions = {},
): Promise<T> {
  const file = homePaths(home).identityLock;
  const waitMs = options.waitMs ?? 60_000;
  const maxTimeout = 500;
  let release: () => Promise<void>;
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    release = await lockfile.lock(file, {
      realpath: false,
      stale: options.staleMs ?? 20_000,
      // 25 ms doubling to 500 ms, then every 500 ms: about waitMs in all.
      retries: {
        retries: Math.max(1, Math.ceil(waitMs / maxTimeout) + 5),
        minTimeout: 25,
        maxTimeout,
        factor: 2,
      },
      // The default throws from a timer (an uncaught exception): a lost lock only means a refresh might race.
      onCompromised: () => undefined,
    });
  } catch (error) {
    const busy = (error as NodeJS.ErrnoException).code === 'ELOCKED';
    throw new IdentityError(
      'store',
      busy
        ? `Another Glassbox process has been changing the sign-in for over ${Math.round(waitMs / 1000)} s ` +
            `(${file}.lock); try again.`
        : `Cannot lock ${file} (${(error as Error).message}).`,
    );
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
