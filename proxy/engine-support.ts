/**
 * Small pieces of the engine's composition root (engine.ts) that hold no state of their own: a periodic task
 * as a component, config.json as on disk, the team mirror's wiring, and what a failed start or listen tells
 * the user.
 */
import { describeError, UserError } from './common/errors.js';
import type { Component } from './common/lifecycle.js';
import { type Config, loadConfig } from './config.js';
import { IdentityBearer } from './identity/bearer.js';
import type { IdentityComponent } from './identity/component.js';
import type { Store } from './store/store.js';
import { diskIsFull, isDiskFull, storageFailure } from './store/unavailable.js';
import { Mirror } from './sync/mirror.js';

/** A component that runs `task` every `ms` (unref'd); a failing run is tried again at the next tick. */
export function every(ms: number, task: () => void): Component {
  let timer: NodeJS.Timeout | undefined;
  return {
    start: () => {
      timer = setInterval(() => {
        try {
          task();
        } catch {
          // Tried again at the next tick.
        }
      }, ms).unref();
    },
    stop: () => clearInterval(timer),
  };
}

/** config.json as it is on disk (the base live changes are compared to); `config` when it cannot be read. */
export function fileConfig(home: string, config: Config): Config {
  try {
    return loadConfig(home);
  } catch {
    return config;
  }
}

/**
 * What a failed start tells the user: a full disk (or one SQLite cannot even open its shared memory on) is
 * said in words, with what to do, instead of surfacing as an unexpected ENOSPC.
 */
export function startFailure(error: unknown, home: string): unknown {
  if (error instanceof UserError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const full =
    isDiskFull(error) || (typeof code === 'string' && code.startsWith('SQLITE_IOERR') && diskIsFull(home));
  if (!full) return error;
  const cause = isDiskFull(error)
    ? storageFailure(error, home).message
    : `the disk holding ${home} is full (${describeError(error)})`;
  return new UserError(
    `cannot start: ${cause}. Nothing recorded is lost: free some space there, then start Glassbox again.`,
    1,
  );
}

/**
 * Runs a listener's `start`, turning a port in use (or another bind failure) into a UserError that names the
 * port and the flag that moves it.
 * @throws UserError when `start` fails
 */
export async function listen(
  what: string,
  port: number,
  flag: string,
  start: () => Promise<void>,
): Promise<void> {
  try {
    await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UserError(
        `Port ${port} for the ${what} is already in use. Stop what uses it, or pick another with ${flag}.`,
      );
    }
    throw new UserError(`Could not start the ${what} on port ${port}: ${describeError(error)}`);
  }
}

/**
 * The team mirror (proxy/sync/mirror.ts) over the store's change feed and the verified sign-in's token of the
 * kind config.json's `team.token` names; without a `team` section (or with `mirror: false`) it stays `off`.
 */
export function teamMirror(
  home: string,
  databasePath: string,
  config: Config,
  store: Store,
  identity: IdentityComponent,
): Mirror {
  return new Mirror({
    databasePath,
    team: config.team,
    changes: (listener) => store.subscribe(listener),
    settle: () => store.settle(),
    bearer: new IdentityBearer(home, identity, () => config.team?.token ?? 'access_token'),
    identityChanges: (listener) => identity.subscribe(() => listener()),
  });
}
