import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * What a running engine tells other commands about itself in `$GLASSBOX_HOME/engine.json` (mode 0600, no
 * secrets), rewritten whenever it applies a configuration: its pid, when it started, the addresses it really
 * listens on (ports given by flags, or 0 for "any free port", included: these are the bound ones), and the
 * version of config.json it last read. Every command that talks to a running engine (`glassbox env`, `pg
 * add`, `hook claude-code`, `setup claude-code`) finds it here, never by assuming the configured ports.
 */
export interface EngineRuntime {
  pid: number;
  /** When the engine started, ms since the epoch: tells a restarted engine (same pid reused) apart. */
  startedAt: number;
  /** The Anthropic proxy, e.g. `http://127.0.0.1:8787`. */
  anthropicUrl: string;
  /** The control API and dashboard, e.g. `http://127.0.0.1:8789`. */
  apiUrl: string;
  /** PostgreSQL connections listening now. */
  postgres: Array<{ name: string; port: number }>;
  /** Configured connections that could not listen, with the reason. */
  failed: Array<{ name: string; error: string }>;
  /** The config.json last read: its modification time (ms since epoch, 0 when absent) and, if refused, why. */
  config: { mtimeMs: number; error: string | null };
}

/** Writes the runtime file atomically (temp file + rename), mode 0600. */
export function writeRuntime(path: string, runtime: EngineRuntime): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(runtime, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** The runtime file's content, or undefined when there is none (no engine) or it cannot be read. */
export function readRuntime(path: string): EngineRuntime | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EngineRuntime;
  } catch {
    return undefined;
  }
}

/** Removes the runtime file if it is this process's. */
export function removeRuntime(path: string): void {
  if (readRuntime(path)?.pid === process.pid) rmSync(path, { force: true });
}
