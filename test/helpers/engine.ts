import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../proxy/config.js';
import { Engine, type EngineOptions } from '../../proxy/engine.js';

/** A started in-process engine on free ports with its own temporary data directory. */
export interface TestEngine {
  engine: Engine;
  home: string;
  /** Stops the engine (if still running) and deletes its data directory. */
  cleanup: () => Promise<void>;
}

/** Makes a temporary directory that `cleanup` removes. */
export function tempHome(prefix = 'glassbox-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Starts an engine whose Anthropic upstream is `upstream` (normally a MockAnthropic), on ports picked by the OS.
 * `tweak` edits the loaded configuration before start.
 */
export async function startTestEngine(
  upstream: string,
  tweak: (config: Config) => void = () => undefined,
  home = tempHome(),
  options: Pick<
    EngineOptions,
    'pgMasking' | 'pgGuard' | 'guard' | 'approvals' | 'warn' | 'guardParsers' | 'log'
  > = {},
): Promise<TestEngine> {
  const config = loadConfig(home, { anthropicPort: 0, apiPort: 0, anthropicUpstream: upstream });
  config.shutdownGraceMs = 200;
  tweak(config);
  const engine = await Engine.start({ home, config, ...options });
  let stopped = false;
  return {
    engine,
    home,
    cleanup: async () => {
      if (!stopped) await engine.stop();
      stopped = true;
      rmSync(home, { recursive: true, force: true });
    },
  };
}
