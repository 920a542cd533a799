/**
 * Small pieces of the engine's composition root (engine.ts) that hold no state of their own: a periodic task
 * as a component, config.json as on disk, the Anthropic proxy's options, the home's permissions, the store's
 * stop, and what a failed start or listen tells the user. (The team parts are in sync/team-components.ts.)
 */

import type { AnthropicProxyOptions } from './anthropic/proxy.js';
import { describeError, UserError } from './common/errors.js';
import type { Component } from './common/lifecycle.js';
import { type Config, loadConfig } from './config.js';
import { describeTightened, secureHome } from './home-permissions.js';
import type { Store } from './store/store.js';
import { diskIsFull, isDiskFull, StoreUnavailableError, storageFailure } from './store/unavailable.js';

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

/** The Anthropic proxy's options from the configuration and the engine's shared parts. */
export function anthropicOptions(
  config: Config,
  shared: Pick<AnthropicProxyOptions, 'store' | 'host' | 'identity' | 'pause' | 'policy' | 'guard'>,
): AnthropicProxyOptions {
  const { anthropic, recording } = config;
  return {
    ...shared,
    upstream: new URL(anthropic.upstream),
    port: anthropic.port,
    maxBodyBytes: recording.maxBodyBytes,
    maxRequestBytes: anthropic.maxRequestBytes,
    requestBodyTimeoutMs: anthropic.requestBodyTimeoutMs,
    maxPendingRequestBytes: anthropic.maxPendingRequestBytes,
    allowedOrigins: anthropic.allowedOrigins,
    upstreamTimeouts: {
      connectMs: anthropic.upstreamConnectTimeoutMs,
      headersMs: anthropic.upstreamHeadersTimeoutMs,
    },
    checkpointIntervalMs: recording.checkpointIntervalMs,
    prices: config.prices,
  };
}

/**
 * Recordings are private: what an older run or a careless umask left readable is tightened now, and said (the
 * entry points also set a 077 umask; every file the engine creates has an explicit 0600 mode anyway).
 */
export function secureHomeAndSay(home: string, warn: (message: string) => void): void {
  const check = secureHome(home);
  const tightened = describeTightened(home, check.tightened);
  if (tightened) warn(tightened);
  for (const problem of check.problems) warn(`recordings may be readable by other users: ${problem}`);
}

/**
 * The store's stop: closes live sessions (ended by shutdown), applies the journal and closes the database —
 * the close even when closing the sessions failed.
 * @throws UserError when the sessions could not be closed because the store refuses writes (a full disk)
 */
export function closeStore(store: Store): void {
  try {
    store.endAllLive('shutdown');
  } catch (error) {
    store.close();
    if (!(error instanceof StoreUnavailableError)) throw error;
    throw new UserError(
      `live sessions were left open (${error.message}); the next start closes them as interrupted, and nothing recorded is lost`,
      1,
    );
  }
  store.close();
}
