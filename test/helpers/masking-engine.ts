import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FileVault } from '../../proxy/identity/vault.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import { tempHome } from './engine.js';
import type { TestColumnRule } from './masking-policy.js';
import { freePort } from './pg-proxy.js';
import type { PgServer } from './postgres.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** An engine process (masking-engine-main.ts) with connections to one PostgreSQL server. */
export interface MaskingEngineProcess {
  child: ChildProcess;
  home: string;
  /** By connection name: the URL clients use and its port. */
  connections: Record<string, { url: string; port: number; user: string; password: string }>;
  /** Resident set size now and its peak, in bytes (/proc/PID/status VmRSS and VmHWM). */
  memory(): { rss: number; peak: number };
  /** Resets the peak to the current size (writes 5 to /proc/PID/clear_refs, Linux 4.0+). */
  resetPeak(): void;
  /** Stops the engine (SIGTERM, waiting for it) and removes its data directory. */
  stop(): Promise<void>;
}

/** Adds `names` as connections to `pg` in a fresh data directory and starts an engine process with `rules`. */
export async function startMaskingEngine(
  pg: PgServer,
  names: string[],
  rules: TestColumnRule[],
): Promise<MaskingEngineProcess> {
  const home = tempHome('glassbox-masking-engine-');
  const vault = new FileVault(`${home}/vault.json`);
  const upstream = `postgres://${pg.user}:${pg.password}@127.0.0.1:${pg.port}/${pg.database}`;
  const connections: MaskingEngineProcess['connections'] = {};
  for (const name of names) {
    const port = await freePort();
    const added = addConnection(home, vault, name, upstream, { listen: port, upstreamTls: 'disable' });
    const url = new URL(added.url);
    connections[name] = { url: added.url, port, user: name, password: decodeURIComponent(url.password) };
  }
  // BENCH_CPU_PROF_DIR: the engine writes a CPU profile there when it stops.
  const profile = process.env.BENCH_CPU_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`]
    : [];
  const child = spawn(
    process.execPath,
    [...profile, '--import', 'tsx', 'test/helpers/masking-engine-main.ts', home, JSON.stringify(rules)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('READY')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the engine process did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const status = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${child.pid}/status`, 'utf8'),
    );
    return Number(match?.[1] ?? Number.NaN) * 1024;
  };
  return {
    child,
    home,
    connections,
    memory: () => ({ rss: status('VmRSS'), peak: status('VmHWM') }),
    // proc(5): writing 5 to clear_refs resets the peak resident set size (VmHWM) to the current one.
    resetPeak: () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5'),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
