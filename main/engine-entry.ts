/**
 * The engine's entry inside Electron's utilityProcess: `glassbox serve` (the same CLI entry as
 * bin/glassbox.js), plus a way for the main process to ask for a clean stop. A utilityProcess gets no
 * signals on Windows, so main posts `{type: 'stop'}` and this turns it into the SIGTERM `glassbox serve`
 * already handles (closing live sessions and the database). `serve`'s arguments come as a JSON array in
 * GLASSBOX_SERVE_ARGS (utilityProcess's argv layout is not Node's).
 * Imports nothing from Electron at runtime.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What the main process may post to the engine. */
export interface EngineControlMessage {
  type: 'stop';
}

interface ParentPortLike {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
}

/**
 * Turns the main process's `{type: 'stop'}` into one SIGTERM for `serve`. A stop is asked for once: a second
 * signal makes `serve` exit at once, and a terminal's Ctrl+C may already have reached this process directly
 * (same process group as Electron). A stop asked before `serve` listens for SIGTERM (still starting) waits
 * until it does.
 */
function relayStopRequests(parentPort: ParentPortLike | undefined): void {
  let stopping = false;
  process.on('SIGINT', () => {
    // Before `serve` installs its own handler there is nothing to close yet.
    if (process.listenerCount('SIGINT') <= 1) process.exit(130);
    stopping = true;
  });
  const requestStop = (): void => {
    if (stopping) return;
    if (process.listenerCount('SIGTERM') === 0) {
      setTimeout(requestStop, 50);
      return;
    }
    stopping = true;
    process.emit('SIGTERM', 'SIGTERM');
  };
  parentPort?.on('message', ({ data }) => {
    if ((data as Partial<EngineControlMessage> | null)?.type === 'stop') requestStop();
  });
}

relayStopRequests((process as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort);

const cli = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'proxy', 'cli.js')).href;
const { main } = (await import(cli)) as { main: (argv: string[]) => Promise<void> };
const args = JSON.parse(process.env.GLASSBOX_SERVE_ARGS ?? '[]') as string[];
await main([process.execPath, 'glassbox', 'serve', ...args]);
process.exit();
