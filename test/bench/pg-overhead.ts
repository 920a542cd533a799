/**
 * Benchmark: what recording through Glassbox costs a PostgreSQL client, next to pgbouncer. Not a test; run with
 * `npm run bench:pg` (BENCH_SECONDS per measured run, default 8). One PostgreSQL server holds pgbench tables
 * (`pgbench -i -s 10`); pgbench's read-only script (`-S`) runs against it five ways in one run — direct,
 * through pgbouncer in session pool mode, through a bare Node TCP relay (the floor of any Node proxy's hop),
 * through `glassbox serve` with its recording switch off (framing and following the protocol only), and through
 * `glassbox serve` recording, as always — in simple and prepared protocol mode, at 1 and 8 clients. The
 * targets' order rotates per configuration so drift hits all alike, and each target gets a short warm-up
 * before its measured run. For pgbouncer, the relay and Glassbox it also prints CPU µs per transaction per
 * thread (from /proc), which says where the cost is when the machine's 2 cores are the limit.
 * Afterwards Glassbox is stopped cleanly and its store is read: every statement pgbench ran through it must be
 * recorded as a `pg.statement` (each run is told apart by its application_name).
 * Targets: Glassbox ≥ 0.9× pgbouncer's TPS at 1 client, ≥ 0.8× at 8 clients, every statement recorded.
 * BENCH_COMPARE_ROOT=dir adds a target `glassbox-compared`: another built checkout's `glassbox serve` (its own
 * store, recording), measured in the same rotation, for A/B comparisons of a change.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type PgServer, startPostgres } from '../helpers/postgres.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const SCALE = 10;
const MODES = ['simple', 'prepared'] as const;
/**
 * Comma-separated subsets for quick comparisons, e.g. BENCH_CLIENTS=1 BENCH_MODES=prepared
 * BENCH_TARGETS=pgbouncer,glassbox (targets: direct, pgbouncer, node-relay, glassbox-paused, glassbox, and
 * glassbox-compared with BENCH_COMPARE_ROOT).
 */
const CLIENTS = listEnv('BENCH_CLIENTS', ['1', '8']).map(Number);
const ONLY_MODES = listEnv('BENCH_MODES', [...MODES]);
/** When set, `glassbox serve` runs with --cpu-prof writing its profile here. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF_DIR;
const COMPARE_ROOT = process.env.BENCH_COMPARE_ROOT;
const PGBOUNCER = process.env.PGBOUNCER ?? '/usr/sbin/pgbouncer';
/** The statement of pgbench's built-in select-only script, up to its parameter. */
const SELECT_PREFIX = 'SELECT abalance FROM pgbench_accounts WHERE aid = ';
const CONNECTION = 'bench';

type Mode = (typeof MODES)[number];
type TargetName =
  | 'direct'
  | 'pgbouncer'
  | 'node-relay'
  | 'glassbox-paused'
  | 'glassbox-compared'
  | 'glassbox';

interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

interface PgbenchResult {
  tps: number;
  processed: number;
  failed: number;
  code: number | null;
  output: string;
}

function listEnv(name: string, fallback: string[]): string[] {
  const value = process.env[name];
  return value ? value.split(',').map((item) => item.trim()) : fallback;
}

/** Everything started, so the `finally` block and signal handlers can stop it. */
const live = {
  children: new Set<ChildProcess>(),
  dirs: new Set<string>(),
  pgbouncerPidFile: undefined as string | undefined,
};

function killEverything(): void {
  for (const child of live.children) child.kill('SIGKILL');
  live.children.clear();
  killPgbouncer();
  for (const dir of live.dirs) rmSync(dir, { recursive: true, force: true });
  live.dirs.clear();
}

/** pgbouncer's own process id (it runs under runuser as root), from its pid file. */
function pgbouncerPid(): number | undefined {
  const file = live.pgbouncerPidFile;
  if (!file || !existsSync(file)) return undefined;
  return Number(readFileSync(file, 'utf8').trim()) || undefined;
}

function killPgbouncer(): void {
  const file = live.pgbouncerPidFile;
  if (!file || !existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    if (pid > 0) process.kill(pid, 'SIGTERM'); // pgbouncer: SIGTERM is an immediate shutdown
  } catch {
    // Already gone.
  }
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  live.dirs.add(dir);
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const [, , uid, gid] = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** pgbouncer in session pool mode in front of `pg`, authenticating clients by SCRAM against a plain auth_file. */
async function startPgbouncer(pg: PgServer): Promise<{ child: ChildProcess; port: number; dir: string }> {
  const dir = tempDir('glassbox-bench-pgbouncer-');
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const log = join(dir, 'pgbouncer.log');
  const pidFile = join(dir, 'pgbouncer.pid');
  writeFileSync(join(dir, 'userlist.txt'), `"${pg.user}" "${pg.password}"\n`, { mode: 0o600 });
  writeFileSync(
    ini,
    [
      '[databases]',
      `${pg.database} = host=127.0.0.1 port=${pg.port} dbname=${pg.database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = session',
      'default_pool_size = 20',
      'max_client_conn = 100',
      `logfile = ${log}`,
      `pidfile = ${pidFile}`,
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  const owner = postgresUser();
  if (owner) for (const path of [dir, ini, join(dir, 'userlist.txt')]) chownSync(path, owner.uid, owner.gid);
  // pgbouncer refuses to run as root.
  const [file, args] = owner ? ['runuser', ['-u', 'postgres', '--', PGBOUNCER, ini]] : [PGBOUNCER, [ini]];
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.children.add(child);
  live.pgbouncerPidFile = pidFile;
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`pgbouncer did not start (exit ${child.exitCode}):\n${stderr}\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, port, dir };
}

/** The bare Node TCP relay (tcp-relay-main.ts) in front of `pg`: the floor of any Node proxy's hop. */
async function startNodeRelay(pg: PgServer): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/bench/tcp-relay-main.ts', String(pg.port)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  live.children.add(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the Node relay exited with ${code}`)));
  });
  return { child, port };
}

/** Runs the built CLI to completion and returns its stdout. */
function glassboxCli(home: string, args: string[]): string {
  return execFileSync(process.execPath, ['bin/glassbox.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, GLASSBOX_HOME: home },
    encoding: 'utf8',
  });
}

/** `glassbox serve` in a fresh GLASSBOX_HOME with one connection to `pg`. */
interface Glassbox {
  child: ChildProcess;
  home: string;
  target: Target;
  /** The control API's dashboard URL (`http://127.0.0.1:PORT/#token=…`). */
  dashboard: URL;
}

/** Starts `glassbox serve` of the built checkout at `root` (this one by default) with one connection to `pg`. */
async function startGlassbox(pg: PgServer, root = ROOT): Promise<Glassbox> {
  const home = tempDir('glassbox-bench-home-');
  const listen = await freePort();
  const upstream = `postgres://${pg.user}:${pg.password}@127.0.0.1:${pg.port}/${pg.database}`;
  glassboxCli(home, [
    ...['pg', 'add', CONNECTION, '--upstream', upstream],
    ...['--listen', String(listen), '--upstream-tls', 'disable'],
  ]);
  const [connection] = JSON.parse(glassboxCli(home, ['pg', 'list', '--json'])) as Array<{ url: string }>;
  const url = new URL(connection!.url);
  const profile = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
  const child = spawn(
    process.execPath,
    [...profile, 'bin/glassbox.js', 'serve', '--anthropic-port', '0', '--api-port', '0'],
    { cwd: root, env: { ...process.env, GLASSBOX_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.children.add(child);
  let out = '';
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[glassbox] ${chunk}`));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Press Ctrl+C to stop.')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`glassbox serve exited with ${code}:\n${out}`)));
  });
  const target = {
    host: '127.0.0.1',
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
  };
  const dashboard = new URL(/Dashboard\s+(http:\/\/\S+)/.exec(out)![1]!);
  return { child, home, target, dashboard };
}

/**
 * Turns Glassbox's recording switch on or off through its control API (POST /api/recording), as the tray and
 * the dashboard do: paused, statements are still framed and followed, just not recorded.
 */
async function setRecording(glassbox: Glassbox, recording: boolean): Promise<void> {
  const token = new URLSearchParams(glassbox.dashboard.hash.slice(1)).get('token');
  const response = await fetch(new URL('/api/recording', glassbox.dashboard), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ recording, via: 'bench' }),
  });
  if (!response.ok)
    throw new Error(`POST /api/recording answered ${response.status}: ${await response.text()}`);
}

function pgEnv(target: Target, appName: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGUSER: target.user,
    PGPASSWORD: target.password,
    PGDATABASE: target.database,
    PGAPPNAME: appName,
    PGSSLMODE: 'disable',
    PGGSSENCMODE: 'disable',
    PGCONNECT_TIMEOUT: '10',
  };
}

/** One pgbench run; killed (and reported as failed) if it outlives its duration by a minute. */
function pgbench(
  binDir: string,
  target: Target,
  args: string[],
  appName: string,
  timeoutMs: number,
): Promise<PgbenchResult> {
  const child = spawn(join(binDir, 'pgbench'), args, {
    env: pgEnv(target, appName),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.children.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const timer = setTimeout(() => {
    output += `\n[bench] pgbench still running after ${timeoutMs} ms: killed\n`;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      live.children.delete(child);
      const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? Number.NaN);
      resolve({
        tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
        processed: number(/number of transactions actually processed: (\d+)/),
        failed: number(/number of failed transactions: (\d+)/),
        code,
        output,
      });
    });
  });
}

function selectOnly(
  binDir: string,
  target: Target,
  mode: Mode,
  clients: number,
  seconds: number,
  appName: string,
): Promise<PgbenchResult> {
  const args = ['-n', '-S', '-T', String(seconds), '-c', String(clients), '-j', String(clients)];
  return pgbench(binDir, target, [...args, '-M', mode], appName, (seconds + 60) * 1000);
}

/** CPU time per thread of a process, in clock ticks (USER_HZ, 100 per second on Linux), keyed by thread id. */
type ThreadTicks = Map<string, { name: string; ticks: number }>;

/** Reads /proc/PID/task/*\/stat (proc(5): fields 14 and 15 are utime and stime); empty where /proc is absent. */
function threadTicks(pid: number | undefined): ThreadTicks {
  const out: ThreadTicks = new Map();
  if (!pid || !existsSync(`/proc/${pid}/task`)) return out;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' '); // fields from the 3rd (state) on
      out.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return out;
}

/** CPU µs per transaction spent by each named group of threads between two readings. */
function cpuPerTransaction(before: ThreadTicks, after: ThreadTicks, transactions: number): string {
  const byName = new Map<string, number>();
  for (const [tid, { name, ticks }] of after) {
    const delta = ticks - (before.get(tid)?.ticks ?? 0);
    byName.set(name, (byName.get(name) ?? 0) + delta);
  }
  const total = [...byName.values()].reduce((a, b) => a + b, 0);
  const perTx = (ticks: number) => ((ticks * 10_000) / transactions).toFixed(1);
  const parts = [...byName]
    .filter(([, ticks]) => ticks > 0)
    .map(([name, ticks]) => `${name} ${perTx(ticks)}`);
  return `${perTx(total)} µs CPU/transaction (${parts.join(', ')})`;
}

interface Measured {
  label: string;
  mode: Mode;
  clients: number;
  appName: string;
  results: Partial<Record<TargetName, PgbenchResult>>;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a';
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');

function printTable(measured: Measured[]): void {
  const columns: Array<[TargetName, string]> = [
    ['direct', 'direct'],
    ['pgbouncer', 'pgbouncer'],
    ['node-relay', 'Node relay'],
    ['glassbox-paused', 'GB paused'],
    ...(COMPARE_ROOT ? [['glassbox-compared', 'GB compared'] as [TargetName, string]] : []),
    ['glassbox', 'Glassbox'],
  ];
  const head = [
    'configuration'.padEnd(22),
    ...columns.map(([, title]) => title.padStart(11)),
    '   relay/pgb paused/pgb  Glassbox/pgbouncer (target)',
  ].join('');
  console.log(`${''.padEnd(22)}${'TPS'.padStart(11)}`);
  console.log(head);
  console.log('-'.repeat(head.length));
  for (const m of measured) {
    const tps = (name: TargetName) => m.results[name]?.tps ?? Number.NaN;
    const target = m.clients === 1 ? 0.9 : 0.8;
    const vsBouncer = tps('glassbox') / tps('pgbouncer');
    const verdict = Number.isFinite(vsBouncer) ? (vsBouncer >= target ? 'met' : 'MISSED') : 'n/a';
    console.log(
      [
        m.label.padEnd(22),
        ...columns.map(([name]) => fmt(tps(name)).padStart(11)),
        ratio(tps('node-relay'), tps('pgbouncer')).padStart(12),
        ratio(tps('glassbox-paused'), tps('pgbouncer')).padStart(11),
        `  ${ratio(tps('glassbox'), tps('pgbouncer'))} (≥ ${target.toFixed(1)}×: ${verdict})`,
      ].join(''),
    );
  }
  console.log(
    '\nNode relay: a bare TCP relay in Node (tcp-relay-main.ts). GB paused: Glassbox with its recording switch off\n' +
      '(messages framed and followed, nothing recorded). Glassbox: recording, as always.',
  );
}

interface Recorded {
  sessions: number;
  /** pg.statement events whose SQL starts with pgbench's -S query. */
  statements: number;
  /** Of those, how many carry the `$1` form (prepared mode) rather than a literal (simple mode). */
  placeholder: number;
  /** pg.result events sealed `complete` for those statements. */
  complete: number;
  /** In-flight records left unsealed in the run's sessions. */
  unsealed: number;
  example: string | null;
}

/** What Glassbox recorded for the sessions whose application_name is `appName`. */
function recorded(db: Database.Database, appName: string): Recorded {
  const isSelect = `substr(json_extract(st.payload, '$.sql'), 1, ${SELECT_PREFIX.length}) = @prefix`;
  const params = { app: appName, prefix: SELECT_PREFIX };
  const statements = db
    .prepare(
      `SELECT count(*) AS n, coalesce(sum(instr(json_extract(st.payload, '$.sql'), '$1') > 0), 0) AS placeholder,
              min(json_extract(st.payload, '$.sql')) AS example
       FROM sessions s JOIN events st ON st.session_id = s.id
       WHERE s.client = @app AND st.kind = 'pg.statement' AND ${isSelect}`,
    )
    .get(params) as { n: number; placeholder: number; example: string | null };
  const complete = db
    .prepare(
      `SELECT count(*) AS n
       FROM sessions s JOIN events r ON r.session_id = s.id
         JOIN events st ON st.session_id = r.session_id AND st.seq = json_extract(r.payload, '$.statement_seq')
       WHERE s.client = @app AND r.kind = 'pg.result' AND json_extract(r.payload, '$.outcome') = 'complete'
         AND ${isSelect}`,
    )
    .get(params) as { n: number };
  const one = (sql: string) => (db.prepare(sql).get({ app: appName }) as { n: number }).n;
  return {
    sessions: one('SELECT count(*) AS n FROM sessions WHERE client = @app'),
    statements: statements.n,
    placeholder: statements.placeholder,
    complete: complete.n,
    unsealed: one(
      'SELECT count(*) AS n FROM inflight i JOIN sessions s ON s.id = i.session_id WHERE s.client = @app',
    ),
    example: statements.example,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  let pg: PgServer | undefined;
  let glassbox: Glassbox | undefined;
  let bouncer: { child: ChildProcess; port: number } | undefined;
  try {
    pg = await startPostgres({ auth: 'scram-sha-256' });
    const direct: Target = {
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: pg.database,
    };
    const init = await pgbench(pg.binDir, direct, ['-i', '-q', '-s', String(SCALE)], 'bench-init', 300_000);
    if (init.code !== 0) throw new Error(`pgbench -i failed:\n${init.output}`);
    bouncer = await startPgbouncer(pg);
    glassbox = await startGlassbox(pg);
    const relay = await startNodeRelay(pg);
    const compared = COMPARE_ROOT ? await startGlassbox(pg, COMPARE_ROOT) : undefined;
    const targets: Record<TargetName, Target> = {
      direct,
      pgbouncer: { ...direct, port: bouncer.port },
      'node-relay': { ...direct, port: relay.port },
      'glassbox-paused': glassbox.target,
      'glassbox-compared': compared?.target ?? glassbox.target,
      glassbox: glassbox.target,
    };
    const cores = execFileSync('nproc', { encoding: 'utf8' }).trim();
    console.log(
      `Glassbox PostgreSQL overhead benchmark — pgbench -S (scale ${SCALE}), ${SECONDS} s per run after a ` +
        `${WARMUP_SECONDS} s warm-up, node ${process.version}, ${cores} cores`,
    );
    console.log(
      `${execFileSync(join(pg.binDir, 'pgbench'), ['--version'], { encoding: 'utf8' }).trim()}; ` +
        `${execFileSync(PGBOUNCER, ['--version'], { encoding: 'utf8' }).split('\n')[0]} (pool_mode = session); ` +
        'PostgreSQL, pgbouncer, glassbox serve and pgbench on one machine, over 127.0.0.1 TCP.\n',
    );

    const names: TargetName[] = ['direct', 'pgbouncer', 'node-relay', 'glassbox-paused', 'glassbox'];
    if (compared) names.splice(4, 0, 'glassbox-compared');
    const only = listEnv('BENCH_TARGETS', names);
    const order = names.filter((name) => only.includes(name));
    const measured: Measured[] = [];
    let index = 0;
    for (const mode of MODES.filter((name) => ONLY_MODES.includes(name))) {
      for (const clients of CLIENTS) {
        const m: Measured = {
          label: `${mode}, ${clients} client${clients > 1 ? 's' : ''}`,
          mode,
          clients,
          appName: `bench-${mode}-${clients}`,
          results: {},
        };
        // Rotate the order per configuration so drift (caches, a noisy neighbour) hits every target alike.
        const rotated = [...order.slice(index % order.length), ...order.slice(0, index % order.length)];
        index++;
        for (const name of rotated) {
          const paused = name === 'glassbox-paused';
          if (paused) await setRecording(glassbox, false);
          const warm = await selectOnly(
            pg.binDir,
            targets[name],
            mode,
            clients,
            WARMUP_SECONDS,
            `bench-warmup-${mode}-${clients}`,
          );
          if (warm.code !== 0) console.log(`  warm-up ${name} ${m.label} failed:\n${warm.output}`);
          const pid = {
            direct: undefined,
            pgbouncer: pgbouncerPid(),
            'node-relay': relay.child.pid,
            'glassbox-paused': glassbox.child.pid,
            'glassbox-compared': compared?.child.pid,
            glassbox: glassbox.child.pid,
          }[name];
          const before = threadTicks(pid);
          const appName = paused ? `${m.appName}-paused` : m.appName;
          const result = await selectOnly(pg.binDir, targets[name], mode, clients, SECONDS, appName);
          if (paused) await setRecording(glassbox, true);
          const cpu = pid ? `; ${cpuPerTransaction(before, threadTicks(pid), result.processed)}` : '';
          m.results[name] = result;
          const note = result.code === 0 && result.failed === 0 ? '' : `  (exit ${result.code})`;
          console.log(
            `  ${m.label.padEnd(20)} ${name.padEnd(15)} ${fmt(result.tps).padStart(8)} tps, ` +
              `${fmt(result.processed)} transactions${cpu}${note}`,
          );
          if (note) console.log(result.output.replace(/^/gm, '    | '));
        }
        measured.push(m);
      }
    }

    console.log(`\npgbench -S, transactions per second (${SECONDS} s per run):\n`);
    printTable(measured);

    // Stop Glassbox cleanly, then compare what it recorded with what pgbench ran through it.
    const stopStarted = Date.now();
    glassbox.child.kill('SIGTERM');
    const clean = await exited(glassbox.child, 30_000);
    const stopMs = Date.now() - stopStarted;
    live.children.delete(glassbox.child);
    console.log(
      `\nglassbox serve stopped ${clean ? `in ${stopMs} ms, exit code ${glassbox.child.exitCode}` : 'NOT within 30 s (killed)'}; ` +
        `database ${fmt(statSync(join(glassbox.home, 'glassbox.db')).size / 1e6, 1)} MB`,
    );
    if (!clean) glassbox.child.kill('SIGKILL');
    const db = new Database(join(glassbox.home, 'glassbox.db'), { readonly: true });
    console.log(
      'Recorded vs ran through Glassbox (pg.statement events for the -S query, per application_name):',
    );
    let all = true;
    for (const m of measured) {
      if (!m.results.glassbox) continue; // not measured (BENCH_TARGETS)
      const ran = m.results.glassbox.processed;
      const got = recorded(db, m.appName);
      const form = m.mode === 'prepared' ? got.placeholder === got.statements : got.placeholder === 0;
      const ok = got.statements === ran && got.complete === ran && got.unsealed === 0 && form;
      all &&= ok;
      console.log(
        `  ${m.appName.padEnd(17)} pgbench processed ${fmt(ran).padStart(7)}, recorded ${fmt(got.statements).padStart(7)} ` +
          `(${fmt(got.complete)} sealed complete, ${got.unsealed} unsealed, ${got.sessions} sessions)` +
          `${ok ? '' : '  ← MISMATCH'}  e.g. ${JSON.stringify(got.example)}`,
      );
    }
    db.close();
    console.log(`  every statement recorded: ${all ? 'yes' : 'NO'}`);
    console.log(`\nBenchmark wall time ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  } finally {
    if (glassbox && glassbox.child.exitCode === null && glassbox.child.signalCode === null) {
      glassbox.child.kill('SIGKILL');
    }
    killPgbouncer();
    if (bouncer) await exited(bouncer.child, 5_000);
    killEverything();
    await pg?.stop();
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killEverything();
    process.exit(130); // the PostgreSQL helper's exit hook stops the server
  });
}
await main();
