/**
 * Where the desktop app's engine lives and how to reach it: data directory, control API port, token, the
 * CLI entry. Electron-free; main.ts and the tests use it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient } from './engine-client.js';
import type { EngineConnection } from './ipc-contract.js';
import type { SeenClientsStore } from './notifications.js';

/** The engine the app runs. */
export interface EngineSettings {
  /** $GLASSBOX_HOME, else ~/.glassbox. */
  home: string;
  apiPort: number;
  /** http://127.0.0.1:<apiPort> */
  apiUrl: string;
  /** Reads the token the engine keeps in $GLASSBOX_HOME/token (empty until the engine first started). */
  connection: () => EngineConnection;
  client: () => EngineClient;
}

/**
 * Reads the data directory and the control API's port the same way the engine does ($GLASSBOX_HOME,
 * `api.port` in config.json, default 8789). Never throws: an unreadable config.json means the default port
 * (the engine then reports the problem itself).
 */
export function engineSettings(env: NodeJS.ProcessEnv, userHome: string): EngineSettings {
  const home = env.GLASSBOX_HOME?.trim() || join(userHome, '.glassbox');
  let apiPort = 8789;
  try {
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as {
      api?: { port?: unknown };
    };
    if (typeof config.api?.port === 'number' && Number.isInteger(config.api.port)) apiPort = config.api.port;
  } catch {
    // No config.json: defaults.
  }
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const connection = (): EngineConnection => {
    const file = join(home, 'token');
    return { apiUrl, token: existsSync(file) ? readFileSync(file, 'utf8').trim() : '' };
  };
  return {
    home,
    apiPort,
    apiUrl,
    connection,
    client: () => new EngineClient(connection()),
  };
}

/** The clients already announced, kept in a small JSON file (an array of names, at most 5 000). */
export function seenClientsFile(path: string): SeenClientsStore {
  return {
    load: () => {
      try {
        const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
        return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
      } catch {
        return [];
      }
    },
    save: (clients) => writeFileSync(path, JSON.stringify(clients.slice(-5_000))),
  };
}

/**
 * The `glassbox env` lines for the user's shell, produced by the CLI entry itself (bin/glassbox.js env).
 * `runtime` is the executable running it: Node, or Electron with ELECTRON_RUN_AS_NODE=1.
 * @throws Error with the CLI's message when it fails
 */
export function glassboxEnv(appRoot: string, runtime: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      runtime,
      [join(appRoot, 'bin', 'glassbox.js'), 'env'],
      { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 10_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr.trim() || error.message)) : resolve(stdout),
    );
  });
}
