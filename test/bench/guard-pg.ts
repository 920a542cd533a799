/**
 * Benchmark: what the PostgreSQL guard's enforcement point (proxy/postgres/guard-gate.ts) costs a client whose
 * statements it allows. Not a test; run with `node --import tsx test/bench/guard-pg.ts` (BENCH_SECONDS per
 * run, default 6; BENCH_ROUNDS, default 3). One PostgreSQL server (`pgbench -i -s 1`), two Glassbox engines in
 * this process, identical but for the policy: `off` has guardrails turned off in policy.json (chunks forwarded
 * as they come), `gate` runs the default policy — the engine's real guard (libpg-query classification, cached
 * per text) and approval broker — whose rules allow `pgbench -S`'s SELECT, so every statement is classified,
 * goes through the gate and is allowed. pgbench -S runs in simple and prepared mode at
 * 1 client, the order alternating per round; medians of TPS and of this process's CPU µs per transaction.
 * On a loaded machine those swing by ±30% run to run, so a second phase times the gate alone, in this
 * process without sockets: a prepared pgbench -S transaction's frames (Bind, Execute, Sync) and replies through
 * the statement tracker, with and without the gate (with the real guard under the default policy) in front of
 * it, µs per transaction (medians of 5 runs).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileVault } from '../../proxy/identity/vault.js';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { defaultPolicy } from '../../proxy/policy/document.js';
import { loadGuardClassifiers } from '../../proxy/policy/guard/component.js';
import { createGuard } from '../../proxy/policy/guard/guard.js';
import type { Guard } from '../../proxy/policy/guard/types.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import { Framer } from '../../proxy/postgres/framer.js';
import { GuardGate } from '../../proxy/postgres/guard-gate.js';
import type { PgRecorder } from '../../proxy/postgres/recorder.js';
import { StatementTracker } from '../../proxy/postgres/tracker.js';
import { emptyOutput } from '../../proxy/postgres/tracker-output.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { freePort } from '../helpers/pg-proxy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MODES = (process.env.BENCH_MODES ?? 'simple,prepared').split(',');

interface Target {
  engine: TestEngine;
  port: number;
  password: string;
}

async function engine(pgServer: PgServer, guarded: boolean): Promise<Target> {
  const home = tempHome('glassbox-bench-guard-');
  const port = await freePort();
  const upstream = `postgres://${pgServer.user}:${pgServer.password}@127.0.0.1:${pgServer.port}/${pgServer.database}`;
  const added = addConnection(home, new FileVault(`${home}/vault.json`), 'bench', upstream, {
    listen: port,
    upstreamTls: 'disable',
  });
  // The default policy (no policy.json) guards; `off` turns guardrails off.
  if (!guarded) {
    const off = { version: 1, guardrails: { enabled: false } };
    writeFileSync(join(home, 'policy.json'), JSON.stringify(off), { mode: 0o600 });
  }
  const started = await startTestEngine('http://127.0.0.1:9', () => undefined, home);
  return { engine: started, port, password: decodeURIComponent(new URL(added.url).password) };
}

function pgbench(pgServer: PgServer, target: Target, mode: string, seconds: number): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(target.port), '-U', 'bench', '-n', '-S', '-M', mode];
  args.push('-c', '1', '-T', String(seconds));
  const child = spawn(join(pgServer.binDir, 'pgbench'), args, {
    env: { ...process.env, PGPASSWORD: target.password, PGDATABASE: pgServer.database, PGSSLMODE: 'disable' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) =>
    child.once('close', (code) => {
      const processed = Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1]);
      if (code !== 0 || !(processed > 0)) reject(new Error(`pgbench failed:\n${output}`));
      else resolve(processed);
    }),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** µs per prepared pgbench -S transaction through the tracker, with the gate in front when `gated`. */
function gateAlone(guard: Guard, gated: boolean, transactions = 100_000): number {
  const tracker = new StatementTracker(20);
  const gate = new GuardGate(
    { guard: () => guard, context: { home: '/' }, session: { id: 'bench' } },
    { tracker, recorder: {} as PgRecorder, upstream: () => undefined, client: () => undefined },
  );
  const frames = (bytes: Buffer) => new Framer().push(bytes);
  const sql = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;';
  const parse = frames(new Writer().cstring('P0_1').cstring(sql).int16(0).frame('P'));
  const bind = new Writer().cstring('').cstring('P0_1').int16(0).int16(1).int32(5);
  const request = Buffer.concat([
    bind.bytes(Buffer.from('12345')).int16(0).frame('B'),
    new Writer().cstring('').int32(0).frame('E'),
    new Writer().frame('S'),
  ]);
  const replies = frames(
    Buffer.concat([
      new Writer().frame('2'),
      new Writer().int16(1).int32(5).bytes(Buffer.from('12345')).frame('D'),
      new Writer().cstring('SELECT 1').frame('C'),
      new Writer().int8(73).frame('Z'),
    ]),
  );
  const send = (list: ReturnType<typeof frames>) => {
    const out = emptyOutput();
    for (const frame of list) {
      if (gated) gate.frame(frame, out);
      else tracker.onFrontend(frame, out);
    }
    if (gated) gate.flush();
  };
  send(parse);
  tracker.onBackend(frames(new Writer().frame('1'))[0]!, emptyOutput());
  const start = process.hrtime.bigint();
  for (let i = 0; i < transactions; i++) {
    send(frames(Buffer.from(request)));
    for (const frame of replies) tracker.onBackend(frame, emptyOutput());
  }
  return Number(process.hrtime.bigint() - start) / 1000 / transactions;
}

async function main(): Promise<void> {
  const pgServer = await startPostgres({ auth: 'scram-sha-256' });
  const targets: Record<'off' | 'gate', Target | undefined> = { off: undefined, gate: undefined };
  try {
    await new Promise<void>((resolve, reject) => {
      const init = spawn(join(pgServer.binDir, 'pgbench'), ['-i', '-s', '1', '-q', pgServer.superuserUrl], {
        stdio: 'ignore',
      });
      init.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`pgbench -i: ${code}`))));
    });
    targets.off = await engine(pgServer, false);
    targets.gate = await engine(pgServer, true);
    console.log(`guard-pg: pgbench -S, 1 client, ${SECONDS} s per run, medians of ${ROUNDS} rounds\n`);
    console.log('| mode | off TPS | gate TPS | gate / off | CPU µs/tx off | gate |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    let turn = 0;
    for (const mode of MODES) {
      const tps = { off: [] as number[], gate: [] as number[] };
      const cpu = { off: [] as number[], gate: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        const order = turn++ % 2 === 0 ? (['off', 'gate'] as const) : (['gate', 'off'] as const);
        for (const name of order) {
          await pgbench(pgServer, targets[name]!, mode, 1);
          const before = process.cpuUsage();
          const processed = await pgbench(pgServer, targets[name]!, mode, SECONDS);
          const used = process.cpuUsage(before);
          tps[name].push(processed / SECONDS);
          cpu[name].push((used.user + used.system) / processed);
        }
      }
      const [off, gate] = [median(tps.off), median(tps.gate)];
      console.log(
        `| ${mode} | ${off.toFixed(0)} | ${gate.toFixed(0)} | ${(gate / off).toFixed(2)}× | ` +
          `${median(cpu.off).toFixed(0)} | ${median(cpu.gate).toFixed(0)} |`,
      );
    }
    const alone = { off: [] as number[], gate: [] as number[] };
    const policy = compilePolicy(defaultPolicy(), { hashKey: randomBytes(32) });
    const classifiers = await loadGuardClassifiers();
    const guard = createGuard(() => policy, classifiers);
    for (let run = 0; run < 5; run++) {
      alone.off.push(gateAlone(guard, false));
      alone.gate.push(gateAlone(guard, true));
    }
    classifiers.dispose();
    console.log(
      `\ngate alone (tracker only → with the gate): ${median(alone.off).toFixed(2)} → ${median(alone.gate).toFixed(2)} µs per prepared transaction`,
    );
  } finally {
    await targets.off?.engine.cleanup();
    await targets.gate?.engine.cleanup();
    await pgServer.stop();
  }
}

await main();
