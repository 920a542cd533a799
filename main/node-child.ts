import { spawn } from 'node:child_process';
import type { EngineChild } from './supervisor.js';

/** How to run the engine as a plain Node child process. */
export interface NodeEngineCommand {
  /** The `glassbox` entry (bin/glassbox.js). */
  entry: string;
  /** Arguments after the entry, e.g. ['serve', '--api-port', '0']. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The Node executable (default: this process's). */
  node?: string;
}

/**
 * An {@link EngineChild} backed by `child_process.spawn` of `node bin/glassbox.js serve …`: the same
 * interface the desktop app implements with Electron's utilityProcess. A clean stop is SIGTERM (what
 * `glassbox serve` handles); a forced one SIGKILL. For tests and development; the desktop app uses
 * utilityProcess.
 */
export function nodeEngineChild(command: NodeEngineCommand): EngineChild {
  const child = spawn(command.node ?? process.execPath, [command.entry, ...command.args], {
    env: command.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const outputListeners: Array<(text: string) => void> = [];
  const emit = (chunk: Buffer) => {
    for (const listener of outputListeners) listener(chunk.toString());
  };
  child.stdout.on('data', emit);
  child.stderr.on('data', emit);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
  return {
    requestStop: () => void child.kill('SIGTERM'),
    kill: () => void child.kill('SIGKILL'),
    onExit: (listener) => void exited.then(listener),
    onOutput: (listener) => void outputListeners.push(listener),
  };
}
