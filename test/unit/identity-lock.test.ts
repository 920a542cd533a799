import { existsSync, mkdirSync, rmSync, utimesSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { homePaths } from '../../proxy/config.js';
import { IdentityError } from '../../proxy/identity/errors.js';
import { withIdentityLock } from '../../proxy/identity/identity-lock.js';
import { tempHome } from '../helpers/engine.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});
function newHome(): string {
  const home = tempHome('glassbox-lock-');
  homes.push(home);
  return home;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('identity lock', () => {
  it('lets one holder in at a time; the next waits until it is released', async () => {
    const home = newHome();
    const order: string[] = [];
    const first = withIdentityLock(home, async () => {
      order.push('first in');
      await sleep(300);
      order.push('first out');
    });
    await sleep(50);
    const second = withIdentityLock(home, async () => {
      order.push('second in');
    });
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
    expect(existsSync(`${homePaths(home).identityLock}.lock`)).toBe(false);
  });

  it('takes over the lock of a process that died holding it (stale)', async () => {
    const home = newHome();
    const lockDir = `${homePaths(home).identityLock}.lock`;
    mkdirSync(lockDir);
    const past = new Date(Date.now() - 60_000);
    utimesSync(lockDir, past, past);
    await expect(withIdentityLock(home, async () => 'ran')).resolves.toBe('ran');
  });

  it('gives up with an IdentityError when a live holder keeps it past the wait, and releases after a throw', async () => {
    const home = newHome();
    let release: () => void = () => undefined;
    const holder = withIdentityLock(home, () => new Promise<void>((resolve) => (release = resolve)));
    await sleep(50);
    const error = await withIdentityLock(home, async () => 'never', { waitMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).message).toMatch(
      /Another Glassbox process has been changing the sign-in/,
    );
    release();
    await holder;
    await expect(
      withIdentityLock(home, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(withIdentityLock(home, async () => 'free')).resolves.toBe('free');
  });

  it('stops waiting when its signal aborts (an engine shutting down), leaving the holder alone', async () => {
    const home = newHome();
    let release: () => void = () => undefined;
    let holderDone = false;
    const holder = withIdentityLock(home, () => new Promise<void>((resolve) => (release = resolve))).then(
      () => {
        holderDone = true;
      },
    );
    await sleep(50);
    const stopping = new AbortController();
    // Waiting up to 10 minutes, unless told to stop.
    const waiting = withIdentityLock(home, async () => 'never', { waitMs: 600_000, signal: stopping.signal });
    await sleep(100);
    stopping.abort();
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).code).toBe('cancelled');
    expect(holderDone).toBe(false);
    release();
    await holder;
  });
});
