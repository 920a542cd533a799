/**
 * Benchmark (issue 17, "Speed"): what guardrails cost PostgreSQL clients, with the real guard — libpg-query
 * classification cached per text and the default policy's rules — and how long a held statement's approval
 * takes to travel. Not a test; run with `npm run bench:guard` (BENCH_SECONDS per pgbench run, default 6;
 * BENCH_ROUNDS, default 3; BENCH_APPROVALS round trips, default 50).
 *
 * 1. `pgbench -S` (1 client, simple and prepared) through two engines in this process that differ only in
 *    policy.json: the default policy vs `guardrails.enabled: false`. Target: ≥ 0.95× TPS (a repeated
 *    statement's classification is a cache hit).
 * 2. Approval round trip through the default policy's engine with node-postgres: from sending
 *    `DELETE FROM rt` (no WHERE, held) to the broker's change signal (what the dashboard, the tray and the
 *    desktop notification are driven by), and from the decision to the client having the result (an upper
 *    bound for "the statement reaches PostgreSQL": it adds the server's execution and the reply). Targets:
 *    ≤ 50 ms each at p50.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { FileVault } from '../../proxy/identity/vault.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { freePort } from '../helpers/pg-proxy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 50);
const MODES = ['simple', 'prepared'];

interface Target {
  engine: TestEngine;
  url: string;
  port: number;
  password: string;
}

async function engine(pgServer: PgServer, guardrails: boolean): Promise<Target> {
  const home = tempHome('glassbox-bench-guard-');
  if (!guardrails)
    writeFileSync(join(home, 'policy.json'), JSON.stringify({ version: 1, guardrails: { enabled: false } }), {
      mode: 0o600,
    });
  const port = await freePort();
  const upstream = `postgres://${pgServer.user}:${pgServer.password}@127.0.0.1:${pgServer.port}/${pgServer.database}`;
  const added = addConnection(home, new FileVault(`${home}/vault.json`), 'bench', upstream, {
    listen: port,
    upstreamTls: 'disable',
  });
  const started = await startTestEngine('http://127.0.0.1:9', () => undefined, home);
  return {
    engine: started,
    url: added.url,
    port,
    password: decodeURIComponent(new URL(added.url).password),
  };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function pgbench(pgServer: PgServer, target: Target, mode: string, seconds: number): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(target.port), '-U', 'bench', '-n', '-S', '-M', mode];
  const output = await run(join(pgServer.binDir, 'pgbench'), [...args, '-c', '1', '-T', String(seconds)], {
    ...process.env,
    PGPASSWORD: target.password,
    PGDATABASE: pgServer.database,
    PGSSLMODE: 'disable',
  });
  return Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1]) / seconds;
}

const median = (values: number[]) => percentile(values, 50);
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** `APPROVALS` held DELETEs approved as soon as the broker signals them: ms to the signal, ms to the result. */
async function roundTrips(
  pgServer: PgServer,
  target: Target,
): Promise<{ signal: number[]; release: number[] }> {
  const admin = new pg.Client({ connectionString: pgServer.superuserUrl });
  await admin.connect();
  await admin.query('CREATE TABLE IF NOT EXISTS rt (id int); GRANT ALL ON rt TO PUBLIC');
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  const broker = target.engine.engine.approvals;
  const signal: number[] = [];
  const release: number[] = [];
  try {
    for (let i = 0; i < APPROVALS; i++) {
      await admin.query('INSERT INTO rt VALUES (1)');
      let sent = 0;
      let decided = 0;
      const signalled = new Promise<void>((resolve) => {
        const stop = broker.subscribe((approval) => {
          if (approval.status !== 'pending') return;
          stop();
          signal.push(performance.now() - sent);
          decided = performance.now();
          broker.decide(approval.id, { approve: true, by: { os_user: 'bench', via: 'bench' } });
          resolve();
        });
      });
      sent = performance.now();
      const result = client.query('DELETE FROM rt');
      await signalled;
      await result;
      release.push(performance.now() - decided);
    }
  } finally {
    await client.end();
    await admin.end();
  }
  return { signal, release };
}

async function main(): Promise<void> {
  const pgServer = await startPostgres({ auth: 'scram-sha-256' });
  const targets: Record<'off' | 'on', Target | undefined> = { off: undefined, on: undefined };
  try {
    await run(join(pgServer.binDir, 'pgbench'), ['-i', '-s', '1', '-q', pgServer.superuserUrl], process.env);
    targets.off = await engine(pgServer, false);
    targets.on = await engine(pgServer, true);
    console.log(`guard-policy: pgbench -S, 1 client, ${SECONDS} s per run, medians of ${ROUNDS} rounds\n`);
    console.log('| mode | guardrails off TPS | default policy TPS | default / off | target |');
    console.log('| --- | --- | --- | --- | --- |');
    let turn = 0;
    for (const mode of MODES) {
      const tps = { off: [] as number[], on: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        const order = turn++ % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
        for (const name of order) {
          await pgbench(pgServer, targets[name]!, mode, 1);
          tps[name].push(await pgbench(pgServer, targets[name]!, mode, SECONDS));
        }
      }
      const [off, on] = [median(tps.off), median(tps.on)];
      console.log(`| ${mode} | ${off.toFixed(0)} | ${on.toFixed(0)} | ${(on / off).toFixed(2)}× | ≥ 0.95× |`);
    }
    const { signal, release } = await roundTrips(pgServer, targets.on);
    const ms = (values: number[], p: number) => percentile(values, p).toFixed(2);
    console.log(`\napproval round trip, ${APPROVALS} held DELETEs (node-postgres), ms:\n`);
    console.log('| leg | p50 | p99 | target |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| statement sent → approval signalled | ${ms(signal, 50)} | ${ms(signal, 99)} | ≤ 50 ms |`);
    console.log(`| decision → client has the result | ${ms(release, 50)} | ${ms(release, 99)} | ≤ 50 ms |`);
  } finally {
    await targets.off?.engine.cleanup();
    await targets.on?.engine.cleanup();
    await pgServer.stop();
  }
}

await main();
