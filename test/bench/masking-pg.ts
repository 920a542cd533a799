/**
 * Benchmark: what masking on the wire costs a PostgreSQL client. Not a test; run with
 * `node --import tsx test/bench/masking-pg.ts` (BENCH_SECONDS per measured run, default 8). One PostgreSQL
 * server holds a `customers` table of 10,000 rows; one Glassbox engine (masking-engine-main.ts, its own
 * process) serves two connections to it that differ only in the policy: `masked` has column rules masking
 * `email`, `card_number` and `phone` of customers on the wire, `plain` has none (both record, and mask what
 * they store, as always). pgbench runs a script returning 20 rows with those three text columns through each,
 * in simple and prepared protocol mode, at 1 and 4 clients, the order of the two alternating per
 * configuration and round, each after a short warm-up; BENCH_ROUNDS rounds (default 3), medians printed.
 * Prints TPS side by side, the ratio masked / plain, and the engine's CPU µs per transaction (/proc, steadier
 * than TPS on a shared machine), and checks through node-postgres that `masked` really masks and `plain`
 * does not. Target: ≥ 0.85×.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type MaskingEngineProcess, startMaskingEngine } from '../helpers/masking-engine.js';
import type { TestColumnRule } from '../helpers/masking-policy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';
import { reportHeadlines } from './summary.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,4').split(',').map(Number);
const MODES = (process.env.BENCH_MODES ?? 'simple,prepared').split(',');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = 10_000;

const RULES: TestColumnRule[] = ['email', 'card_number', 'phone'].map((column) => ({
  id: `column.${column}`,
  connection: 'masked',
  table: 'customers',
  column,
  action: column === 'card_number' ? { type: 'partial', keep: 4 } : { type: 'redact' },
  wire: true,
}));

const SCRIPT = `\\set lo random(1, ${ROWS - 19})
SELECT id, name, email, card_number, phone FROM customers WHERE id BETWEEN :lo AND :lo + 19;
`;

interface Run {
  tps: number;
  processed: number;
  code: number | null;
  output: string;
}

function pgbench(
  pgServer: PgServer,
  target: { port: number; user: string; password: string },
  script: string,
  mode: string,
  clients: number,
  seconds: number,
): Promise<Run> {
  const args = ['-h', '127.0.0.1', '-p', String(target.port), '-U', target.user, '-n', '-M', mode];
  args.push('-c', String(clients), '-j', String(clients), '-T', String(seconds), '-f', script);
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
  return new Promise((resolve) => {
    child.once('close', (code) => {
      const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? Number.NaN);
      resolve({
        tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
        processed: number(/number of transactions actually processed: (\d+)/),
        code,
        output,
      });
    });
  });
}

/** CPU time of a whole process so far, in clock ticks (proc(5): utime and stime, fields 14 and 15). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function check(engine: MaskingEngineProcess): Promise<void> {
  for (const [name, masked] of [
    ['masked', true],
    ['plain', false],
  ] as const) {
    const client = new pg.Client({ connectionString: engine.connections[name]!.url });
    await client.connect();
    const { rows } = await client.query('SELECT email, card_number, phone FROM customers WHERE id = 1');
    await client.end();
    const row = rows[0] as { email: string; card_number: string; phone: string };
    if ((row.email === '[MASKED:column.email]') !== masked || row.card_number.startsWith('•') !== masked)
      throw new Error(`connection ${name}: ${JSON.stringify(row)}`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-bench-masking-'));
  let pgServer: PgServer | undefined;
  let engine: MaskingEngineProcess | undefined;
  try {
    pgServer = await startPostgres({ auth: 'scram-sha-256' });
    const direct = new pg.Client({ connectionString: pgServer.superuserUrl });
    await direct.connect();
    await direct.query(
      'CREATE TABLE customers AS SELECT i AS id, ' +
        "'Customer ' || i AS name, 'customer' || i || '@example.com' AS email, " +
        "'4' || lpad(i::text, 15, '0') AS card_number, '+1 415 555 ' || lpad(i::text, 4, '0') AS phone " +
        `FROM generate_series(1, ${ROWS}) i; ALTER TABLE customers ADD PRIMARY KEY (id)`,
    );
    await direct.end();
    engine = await startMaskingEngine(pgServer, ['plain', 'masked'], RULES);
    await check(engine);
    const script = join(dir, 'select20.sql');
    writeFileSync(script, SCRIPT);
    console.log(`masking-pg: 20 rows × 3 masked text columns, ${SECONDS} s per run (BENCH_SECONDS)\n`);
    console.log(
      '| mode | clients | plain TPS | masked TPS | masked / plain | engine CPU µs/tx plain | masked |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    let turn = 0;
    for (const mode of MODES) {
      for (const clients of CLIENTS) {
        const tps: Record<string, number[]> = { plain: [], masked: [] };
        const cpu: Record<string, number[]> = { plain: [], masked: [] };
        for (let round = 0; round < ROUNDS; round++) {
          const order = turn++ % 2 === 0 ? (['plain', 'masked'] as const) : (['masked', 'plain'] as const);
          for (const name of order) {
            const target = engine.connections[name]!;
            await pgbench(pgServer, target, script, mode, clients, WARMUP_SECONDS);
            const before = cpuTicks(engine.child.pid!);
            const run = await pgbench(pgServer, target, script, mode, clients, SECONDS);
            const ticks = cpuTicks(engine.child.pid!) - before;
            if (run.code !== 0 || !(run.processed > 0))
              throw new Error(`pgbench through ${name} failed:\n${run.output}`);
            tps[name]!.push(run.tps);
            cpu[name]!.push((ticks * 10_000) / run.processed);
          }
        }
        const [plain, masked] = [median(tps.plain!), median(tps.masked!)];
        reportHeadlines('pg', [
          {
            what: `TPS wire masking on / off, ${mode}, ${clients} client${clients > 1 ? 's' : ''}`,
            value: `${(masked / plain).toFixed(2)}× (${masked.toFixed(0)} / ${plain.toFixed(0)})`,
            target: '≥ 0.85×',
          },
        ]);
        console.log(
          `| ${mode} | ${clients} | ${plain.toFixed(0)} | ${masked.toFixed(0)} | ${(masked / plain).toFixed(2)}× | ` +
            `${median(cpu.plain!).toFixed(0)} | ${median(cpu.masked!).toFixed(0)} |`,
        );
      }
    }
  } finally {
    await engine?.stop();
    await pgServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
