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

const parentPort = (process as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort;
parentPort?.on('message', ({ data }) => {
  if ((data as Partial<EngineControlMessage> | null)?.type === 'stop') process.emit('SIGTERM', 'SIGTERM');
});

const cli = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'proxy', 'cli.js')).href;
const { main } = (await import(cli)) as { main: (argv: string[]) => Promise<void> };
const args = JSON.parse(process.env.GLASSBOX_SERVE_ARGS ?? '[]') as string[];
await main([process.execPath, 'glassbox', 'serve', ...args]);
process.exit();
