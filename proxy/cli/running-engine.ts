import { statSync } from 'node:fs';
import { homePaths } from '../config.js';
import { runningEngine } from '../lock.js';
import { readRuntime } from '../runtime-file.js';

/** How long a command waits for a running engine to apply config.json, ms. */
const WAIT_MS = 15_000;

/**
 * After `pg add` or `pg remove` changed config.json: when an engine is running (its lock names a live pid),
 * waits for its runtime file to show that it read this version of config.json, and says what it did with
 * connection `name` (`listen` given: expected listening on that port; undefined: expected gone).
 * @returns a sentence for the user, or undefined when no engine is running
 */
export async function tellRunningEngine(
  home: string,
  name: string,
  listen: number | undefined,
): Promise<string | undefined> {
  const paths = homePaths(home);
  const pid = runningEngine(paths.lock);
  if (pid === undefined) return undefined;
  const written = statSync(paths.config).mtimeMs;
  const deadline = Date.now() + WAIT_MS;
  const engine = `the running engine (pid ${pid})`;
  while (Date.now() < deadline) {
    const runtime = readRuntime(paths.runtime);
    if (runtime?.pid === pid && runtime.config.mtimeMs >= written) {
      if (runtime.config.error) return `But ${engine} refused config.json: ${runtime.config.error}`;
      const listening = runtime.postgres.find((c) => c.name === name);
      const failed = runtime.failed.find((c) => c.name === name);
      if (listen === undefined) {
        return listening
          ? `But ${engine} still lists it; see its output.`
          : `Closed on ${engine}; sessions that were open on it were ended.`;
      }
      if (listening) return `Live now on ${engine}, 127.0.0.1:${listening.port}. Clients use:`;
      if (failed) return `But ${engine} could not open it: ${failed.error}\nClients will use:`;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const late = `But ${engine} has not applied config.json within ${WAIT_MS / 1000} s; restart it if it is older than this glassbox.`;
  return listen === undefined ? late : `${late}\nClients use:`;
}
