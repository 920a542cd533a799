/**
 * Benchmark (issue 19, "Speed and scale"): how far the team server trails a busy engine. Not a test. Real
 * parts: an engine in this process (signed in at the test OIDC provider, config.json's `team` pointing at the
 * server), `pgbench -S` through its PostgreSQL proxy at a fixed rate (`-R`), and `glassbox-server` (the real
 * bin) on Debian's PostgreSQL. Target: lag ≤ 2 s at 1,000 statements/s.
 *
 * Lag, sampled every `sampleMs`: the age of the oldest event the engine has recorded and the server does not
 * hold yet (now − that event's recorded time; 0 when the server holds the local head), the worst over the
 * pgbench sessions. The local head is the store's (journaled events included, so the apply delay counts), the
 * server's is read from its PostgreSQL.
 *
 * Run alone: `npm run build && node --import tsx test/bench/server/mirror-lag.ts` (BENCH_SECONDS, default
 * 30; BENCH_RATE statements/s, default 1000); the bench runner calls {@link mirrorLag}.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Engine } from '../../../proxy/engine.js';
import { type MirrorRig, startMirrorRig, untilMirrored } from '../../helpers/mirror-rig.js';
import { reportHeadlines } from '../summary.js';
import type { ServerBenchSection } from './context.js';

/** Options of {@link mirrorLag}. */
export interface MirrorLagOptions {
  /** How long pgbench runs (s). Default 30. */
  seconds?: number;
  /** pgbench's target rate (statements/s; `-S` runs one per transaction). Default 1,000. */
  rate?: number;
  /** pgbench clients (each one session). Default 2. */
  clients?: number;
  /** Sampling interval (ms). Default 200. */
  sampleMs?: number;
}

/** What {@link mirrorLag} measured. Lags in seconds. */
export interface MirrorLagResult {
  /** Statements per second pgbench achieved through the engine. */
  statementsPerSecond: number;
  /** Events the engine recorded in the run (statements and results). */
  events: number;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** Seconds from pgbench's end until the server held every local head. */
  drainSeconds: number;
}

/**
 * Starts the rig, runs pgbench through an engine at `rate` statements/s for `seconds`, samples the lag, and
 * stops everything.
 * @throws when a part does not start or pgbench fails
 */
export async function mirrorLag(options: MirrorLagOptions = {}): Promise<MirrorLagResult> {
  const seconds = options.seconds ?? 30;
  const rate = options.rate ?? 1_000;
  const clients = options.clients ?? 2;
  const sampleMs = options.sampleMs ?? 200;
  const rig = await startMirrorRig();
  try {
    await rig.startServer();
    const pgbenchBin = join(rig.upstreamPg.binDir, 'pgbench');
    await run(pgbenchBin, ['-i', '-s', '1', '-q', rig.upstreamPg.superuserUrl]);
    const home = await rig.home('alice');
    const engine = await home.start();
    const before = new Set(engine.store.listSessions({ limit: 10_000 }).map((s) => s.id));
    const url = new URL(home.pgUrl);
    const bench = run(
      pgbenchBin,
      [
        '-h',
        url.hostname,
        '-p',
        url.port,
        '-U',
        decodeURIComponent(url.username),
        '-n',
        '-S',
        '-c',
        String(clients),
      ].concat(['-R', String(rate), '-T', String(seconds), decodeURIComponent(url.pathname.slice(1))]),
      { PGPASSWORD: decodeURIComponent(url.password), PGSSLMODE: 'disable' },
    );
    let done = false;
    const output = bench.finally(() => {
      done = true;
    });
    const lags: number[] = [];
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, sampleMs));
      const ids = engine.store
        .listSessions({ limit: 10_000, kind: 'postgres' })
        .filter((s) => !before.has(s.id))
        .map((s) => s.id);
      if (ids.length > 0) lags.push(await lagNow(rig, engine, ids));
    }
    const text = await output;
    const ended = Date.now();
    await untilMirrored(rig, engine, 300_000);
    const drainSeconds = (Date.now() - ended) / 1000;
    const tps = Number(/tps = ([\d.]+)/.exec(text)?.[1] ?? Number.NaN);
    const events = engine.store
      .listSessions({ limit: 10_000 })
      .filter((s) => !before.has(s.id))
      .reduce((sum, s) => sum + s.head_seq, 0);
    await home.stop();
    return {
      statementsPerSecond: tps,
      events,
      p50: percentile(lags, 50),
      p99: percentile(lags, 99),
      max: Math.max(0, ...lags),
      samples: lags.length,
      drainSeconds,
    };
  } finally {
    await rig.stop();
  }
}

/** The age (s) of the oldest local event of `ids` the server does not hold, the worst over the sessions. */
async function lagNow(rig: MirrorRig, engine: Engine, ids: string[]): Promise<number> {
  const rows = await rig.serverQuery<{ id: string; head_seq: string }>(
    'SELECT id, head_seq FROM sessions WHERE id = ANY($1)',
    [ids],
  );
  const remote = new Map(rows.map((row) => [row.id, Number(row.head_seq)]));
  const now = Date.now() * 1000;
  let worst = 0;
  for (const id of ids) {
    const oldest = engine.store.listEvents(id, remote.get(id) ?? 0, 1)[0];
    if (oldest) worst = Math.max(worst, (now - oldest.ts) / 1e6);
  }
  return worst;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) =>
    child.once('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command}:\n${output}`)),
    ),
  );
}

/** Prints the figures as the bench README's table row and hands the headline to the runner. */
export function printMirrorLag(result: MirrorLagResult, rate: number): void {
  const f = (s: number) => `${s.toFixed(2)} s`;
  console.log(
    `mirror-lag: pgbench -S at ${rate}/s through the engine, lag sampled ${result.samples} times\n`,
  );
  console.log('| statements/s | events | lag p50 | lag p99 | lag max | drain after end | target |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  console.log(
    `| ${result.statementsPerSecond.toFixed(0)} | ${result.events} | ${f(result.p50)} | ${f(result.p99)} | ${f(result.max)} | ${f(result.drainSeconds)} | ≤ 2 s |`,
  );
  reportHeadlines('mirror-lag', [
    {
      what: `mirror lag p50 at ${result.statementsPerSecond.toFixed(0)} statements/s`,
      value: f(result.p50),
      target: '≤ 2 s',
    },
    { what: 'mirror lag max', value: f(result.max), target: '' },
  ]);
}

/** The runner's section (test/bench/server.ts); it starts its own engine, server and databases. */
export const mirrorLagSection: ServerBenchSection = {
  name: 'mirror-lag',
  description: 'how far the server trails an engine under pgbench at BENCH_RATE (1,000) statements/s',
  run: async () => {
    const rate = Number(process.env.BENCH_RATE ?? 1_000);
    printMirrorLag(await mirrorLag({ seconds: Number(process.env.BENCH_LAG_SECONDS ?? 30), rate }), rate);
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rate = Number(process.env.BENCH_RATE ?? 1_000);
  mirrorLag({ seconds: Number(process.env.BENCH_SECONDS ?? 30), rate }).then(
    (result) => printMirrorLag(result, rate),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
