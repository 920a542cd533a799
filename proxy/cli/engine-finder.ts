import { readFileSync } from 'node:fs';
import { homePaths, loadConfig } from '../config.js';
import { runningEngine } from '../lock.js';
import { type EngineRuntime, readRuntime } from '../runtime-file.js';

/** A running engine as a command that talks to it needs it: its runtime file and the API's bearer token. */
export interface FoundEngine {
  runtime: EngineRuntime;
  token: string;
}

/**
 * Finds the engine running on `home` through its runtime file (`engine.json`, proxy/runtime-file.ts) and its
 * lock: the lock must name a live process and the runtime file must be that process's, so a file left by a
 * crashed engine is not believed. Reads only; never creates the token.
 * @returns the engine, or `{ down }` saying in words why there is none
 */
export function findRunningEngine(home: string): FoundEngine | { down: string } {
  const paths = homePaths(home);
  const pid = runningEngine(paths.lock);
  if (pid === undefined) return { down: `no Glassbox engine is running on ${home}` };
  const runtime = readRuntime(paths.runtime);
  if (runtime?.pid !== pid || typeof runtime.apiUrl !== 'string') {
    return { down: `the Glassbox engine (pid ${pid}) has not written ${paths.runtime} (still starting?)` };
  }
  let token: string;
  try {
    token = readFileSync(paths.token, 'utf8').trim();
  } catch (error) {
    return { down: `cannot read the control API's token ${paths.token}: ${(error as Error).message}` };
  }
  return { runtime, token };
}

/**
 * The Anthropic proxy's URL for commands that point clients at Glassbox (`glassbox env`, `glassbox setup
 * claude-code`): the running engine's (its runtime file says where it really listens, e.g. after `serve
 * --anthropic-port`), else the configured port's.
 */
export function anthropicUrlFor(home: string): string {
  const paths = homePaths(home);
  const pid = runningEngine(paths.lock);
  const runtime = pid === undefined ? undefined : readRuntime(paths.runtime);
  if (runtime && runtime.pid === pid) return runtime.anthropicUrl;
  return `http://127.0.0.1:${loadConfig(home).anthropic.port}`;
}
