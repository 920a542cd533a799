import { statSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { describeError } from './common/errors.js';
import { type FileWatch, watchFiles } from './common/file-watch.js';
import { type Config, homePaths, loadConfig } from './config.js';
import type { CredentialVault } from './identity/vault.js';
import { loadConnections } from './postgres/connections.js';
import type { PgChanges, PgProxy } from './postgres/server.js';
import { type EngineRuntime, removeRuntime, writeRuntime } from './runtime-file.js';

/** A line for the engine's log: `info` for what changed, `warn` for what was refused or failed. */
export type EngineLog = (line: string, level: 'info' | 'warn') => void;

/** What {@link LiveConfig} needs from the engine. */
export interface LiveConfigOptions {
  home: string;
  /** config.json as the engine started with it, without command-line overrides. */
  initial: Config;
  postgres: PgProxy;
  /** Opens the credential vault for the configured connection names (sealed or plain, as at start). */
  openVault: (connectionNames: string[]) => CredentialVault;
  /** Addresses that do not change while the engine runs, for the runtime file. */
  addresses: { anthropicUrl: string; apiUrl: string };
  /** When the engine started, ms since the epoch, for the runtime file. */
  startedAt: number;
  log: EngineLog;
  /** Quiet time after a change before it is read, ms (editors write a file in several steps). */
  settleMs?: number;
}

/** Files whose change is applied: config.json and the credential vault (plain and sealed). */
const WATCHED = (home: string) => {
  const { config, vault } = homePaths(home);
  return [config, vault, `${vault}.sealed`];
};

/**
 * Applies changes to `$GLASSBOX_HOME/config.json` and the credential vault while the engine runs. A valid new
 * version's PostgreSQL connections take effect at once ({@link PgProxy.apply}); other changed settings (ports,
 * the Anthropic upstream, recording limits, prices) are logged as taking effect at restart; an invalid version
 * is refused with a log line naming the field, and the running configuration stays. After each reading the
 * runtime file (`engine.json`) says what listens, so `glassbox pg add` can tell the user.
 */
export class LiveConfig {
  private current: Config;
  private watch: FileWatch | undefined;
  private running: Promise<void> = Promise.resolve();
  private failed: PgChanges['failed'] = [];
  private refused: string | null = null;
  private stopped = false;

  constructor(private readonly options: LiveConfigOptions) {
    this.current = options.initial;
  }

  /** Starts watching and writes the runtime file. */
  start(): void {
    const { home, log, settleMs } = this.options;
    this.watch = watchFiles(home, WATCHED(home), () => void this.reload(), {
      settleMs: settleMs ?? 100,
      onFallback: (error) =>
        log(
          `Config: cannot watch ${home} (${describeError(error)}); checking config.json every 2 s instead`,
          'warn',
        ),
    });
    this.writeRuntime();
  }

  /** Stops watching (waiting for a change being applied) and removes the runtime file. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.close();
    await this.running;
    removeRuntime(homePaths(this.options.home).runtime);
  }

  /** Reads config.json and the vault now and applies what changed; resolves when done. Never rejects. */
  reload(): Promise<void> {
    this.running = this.running.then(() => this.apply());
    return this.running;
  }

  private async apply(): Promise<void> {
    if (this.stopped) return;
    const { home, log } = this.options;
    let next: Config;
    try {
      next = loadConfig(home);
    } catch (error) {
      const reason = describeError(error);
      if (reason !== this.refused) {
        log(
          `Config: refused the new config.json; the engine keeps the previous configuration. ${reason}`,
          'warn',
        );
      }
      this.refused = reason;
      this.writeRuntime();
      return;
    }
    if (this.refused !== null) log('Config: config.json is valid again and applied', 'info');
    this.refused = null;
    try {
      const names = Object.keys(next.postgres.connections);
      const connections = loadConnections(next, this.options.openVault(names));
      const changes = await this.options.postgres.apply(connections);
      this.failed = changes.failed;
      for (const line of describeChanges(changes)) log(line, 'info');
      for (const { name, error } of changes.failed)
        log(`PostgreSQL connection "${name}" is not listening: ${error}`, 'warn');
    } catch (error) {
      log(`Config: could not apply the PostgreSQL connections: ${describeError(error)}`, 'warn');
    }
    for (const setting of restartOnly(this.current, next)) {
      log(`Config: ${setting} changed in config.json; takes effect at restart`, 'info');
    }
    this.current = next;
    this.writeRuntime();
  }

  private writeRuntime(): void {
    const { home, addresses, postgres } = this.options;
    const paths = homePaths(home);
    const runtime: EngineRuntime = {
      pid: process.pid,
      startedAt: this.options.startedAt,
      ...addresses,
      postgres: postgres.listening(),
      failed: this.failed,
      config: { mtimeMs: mtimeOf(paths.config), error: this.refused },
    };
    try {
      writeRuntime(paths.runtime, runtime);
    } catch (error) {
      this.options.log(`Could not write ${paths.runtime}: ${describeError(error)}`, 'warn');
    }
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function describeChanges(changes: PgChanges): string[] {
  const at = (port: number) => `127.0.0.1:${port}`;
  return [
    ...changes.added.map(
      ({ name, port }) => `PostgreSQL connection "${name}" added: listening on ${at(port)}`,
    ),
    ...changes.changed.map(
      ({ name, port }) =>
        `PostgreSQL connection "${name}" changed: new clients on ${at(port)} get the new settings; open sessions finish on the old ones`,
    ),
    ...changes.removed.map(
      (name) =>
        `PostgreSQL connection "${name}" removed: its listener is closed and its open sessions were ended`,
    ),
  ];
}

/**
 * Dotted paths of settings that differ between two configurations, other than the PostgreSQL connections
 * (applied live): these take effect when the engine restarts.
 */
export function restartOnly(before: Config, after: Config): string[] {
  const changed: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (path === 'postgres.connections' || isDeepStrictEqual(a, b)) return;
    const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (path.split('.').length < 2 && isObject(a) && isObject(b)) {
      const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
      for (const key of [...keys].sort()) {
        walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
      }
      return;
    }
    changed.push(path);
  };
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of [...keys].sort()) {
    walk((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], key);
  }
  return changed;
}
