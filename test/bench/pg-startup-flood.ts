/**
 * Benchmark: what a flood of PostgreSQL start-up packets does to the rest of the engine. Not a test; run with
 * `npm run bench:pg-flood` (BENCH_SECONDS per phase, default 5). One `glassbox serve` with one connection to a
 * real PostgreSQL; a prober in this process times `GET /api/health` back to back and `SELECT 1` on an
 * authenticated connection through the proxy, first with nothing else going on, then while a separate process
 * floods the connection's listener, and prints both side by side. Floods (BENCH_FLOODS, comma-separated):
 * - `ssl`: sockets (BENCH_FLOOD_SOCKETS, default 1) writing SSLRequest packets in a loop, 64 KB at a time,
 *   reconnecting whenever the proxy closes one (issue 15, point 13);
 * - `connect`: sockets that connect, send nothing and close, in a loop (a port scan), with up to 200 open;
 * - `idle`: 2,000 sockets opened and left idle before start-up (descriptor exhaustion, point 14).
 * `glassbox serve` runs with at most BENCH_NOFILE (default 1024) open descriptors, as where the issue was seen.
 * BENCH_COMPARE_ROOT=dir runs the same phases against another built checkout's `glassbox serve` too (A/B),
 * one after the other, against the same PostgreSQL server.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type PgServer, startPostgres } from '../helpers/postgres.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPARE_ROOT = process.env.BENCH_COMPARE_ROOT;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const FLOODS = (process.env.BENCH_FLOODS ?? 'ssl,connect,idle').split(',').filter(Boolean);
const NOFILE = Number(process.env.BENCH_NOFILE ?? 1024);
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

interface Latencies {
  health: number[];
  select: number[];
  /** Fresh connections (not kept alive) that worked, of those tried: to the control API, PostgreSQL logins. */
  freshApi: [ok: number, tried: number];
  freshLogins: [ok: number, tried: number];
}

/** The flooding process: `node --import tsx pg-startup-flood.ts flood KIND PORT`; prints counts on SIGTERM. */
async function flood(kind: string, port: number): Promise<void> {
  const counts = { connections: 0, refused: 0, bytesSent: 0, bytesAnswered: 0 };
  const report = () => {
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    process.exit(0);
  };
  process.on('SIGTERM', report);
  const chunk = Buffer.concat(Array.from({ length: 8192 }, () => SSL_REQUEST));
  const open = (onOpen: (socket: Socket) => void, again: () => void) => {
    const socket = connect(port, '127.0.0.1');
    counts.connections++;
    socket.on('connect', () => onOpen(socket));
    socket.on('data', (data) => {
      counts.bytesAnswered += data.length;
    });
    socket.on('error', () => {
      counts.refused++;
    });
    socket.on('close', again);
    return socket;
  };
  if (kind === 'ssl') {
    const sockets = Number(process.env.BENCH_FLOOD_SOCKETS ?? 1);
    const one = () =>
      open(
        (socket) => {
          const pump = () => {
            while (!socket.destroyed) {
              counts.bytesSent += chunk.length;
              if (!socket.write(chunk)) break;
            }
          };
          socket.on('drain', pump);
          pump();
        },
        () => setImmediate(one),
      );
    for (let i = 0; i < sockets; i++) one();
  } else if (kind === 'connect') {
    let live = 0;
    const one = () => {
      live++;
      open(
        (socket) => socket.destroy(),
        () => {
          live--;
          setImmediate(one);
        },
      );
    };
    for (let i = 0; i < 200 && live < 200; i++) one();
  } else if (kind === 'idle') {
    for (let i = 0; i < 2000; i++) {
      open(
        () => undefined,
        () => undefined,
      );
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  await new Promise(() => undefined);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Times /api/health and `SELECT 1` back to back for `seconds` (a probe that fails counts as its time to fail),
 * and every 250 ms tries a fresh connection to the control API and a fresh PostgreSQL login.
 */
async function probe(
  health: URL,
  token: string,
  client: pg.Client,
  url: string,
  seconds: number,
): Promise<Latencies> {
  const result: Latencies = { health: [], select: [], freshApi: [0, 0], freshLogins: [0, 0] };
  const until = performance.now() + seconds * 1000;
  const healthLoop = async () => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        const response = await fetch(health, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer();
      } catch {
        // a timeout is a data point too
      }
      result.health.push(performance.now() - started);
    }
  };
  const selectLoop = async () => {
    while (performance.now() < until) {
      const started = performance.now();
      await client.query('SELECT 1');
      result.select.push(performance.now() - started);
    }
  };
  const freshLoop = async () => {
    while (performance.now() < until) {
      result.freshApi[1]++;
      const api = await new Promise<boolean>((resolve) => {
        const request = get(health, {
          agent: false,
          headers: { authorization: `Bearer ${token}` },
          timeout: 5_000,
        });
        request.on('response', (response) => {
          response.resume();
          resolve(response.statusCode === 200);
        });
        request.on('timeout', () => request.destroy());
        request.on('error', () => resolve(false));
      });
      if (api) result.freshApi[0]++;
      result.freshLogins[1]++;
      const login = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
      login.on('error', () => undefined);
      try {
        await login.connect();
        await login.query('SELECT 1');
        result.freshLogins[0]++;
      } catch {
        // refused or timed out
      }
      await login.end().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  await Promise.all([healthLoop(), selectLoop(), freshLoop()]);
  return result;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs every phase against `glassbox serve` of the built checkout at `root`; returns its table rows. */
async function measure(root: string, server: PgServer, children: Set<ChildProcess>): Promise<string[][]> {
  const home = mkdtempSync(join(tmpdir(), 'glassbox-bench-flood-'));
  try {
    const cli = (args: string[]) =>
      execFileSync(process.execPath, ['bin/glassbox.js', ...args], {
        cwd: root,
        env: { ...process.env, GLASSBOX_HOME: home },
        encoding: 'utf8',
      });
    const listen = await freePort();
    const upstream = `postgres://${server.user}:${server.password}@127.0.0.1:${server.port}/${server.database}`;
    cli([
      'pg',
      'add',
      'bench',
      '--upstream',
      upstream,
      '--listen',
      String(listen),
      '--upstream-tls',
      'disable',
    ]);
    const [connection] = JSON.parse(cli(['pg', 'list', '--json'])) as Array<{ url: string }>;
    // With the descriptor limit the issue was seen with (BENCH_NOFILE, default 1024).
    const serve = `ulimit -n ${NOFILE} && exec "${process.execPath}" bin/glassbox.js serve --anthropic-port 0 --api-port 0`;
    const glassbox = spawn('/bin/sh', ['-c', serve], {
      cwd: root,
      env: { ...process.env, GLASSBOX_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(glassbox);
    let out = '';
    glassbox.stderr!.on('data', () => undefined);
    await new Promise<void>((resolve, reject) => {
      glassbox.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Press Ctrl+C to stop.')) resolve();
      });
      glassbox.once('exit', (code) => reject(new Error(`glassbox serve exited with ${code}:\n${out}`)));
    });
    const dashboard = new URL(/Dashboard\s+(http:\/\/\S+)/.exec(out)![1]!);
    const token = new URLSearchParams(dashboard.hash.slice(1)).get('token')!;
    const health = new URL('/api/health', dashboard);
    const client = new pg.Client({ connectionString: connection!.url });
    await client.connect();
    const rows: string[][] = [];
    const row = (label: string, latencies: Latencies, note: string) =>
      rows.push([
        label,
        `${latencies.health.length}`,
        `${percentile(latencies.health, 50).toFixed(1)} / ${percentile(latencies.health, 99).toFixed(1)} / ${Math.max(...latencies.health).toFixed(0)}`,
        `${percentile(latencies.select, 50).toFixed(1)} / ${percentile(latencies.select, 99).toFixed(1)}`,
        `${latencies.freshApi.join('/')}`,
        `${latencies.freshLogins.join('/')}`,
        note,
      ]);
    row('no flood', await probe(health, token, client, connection!.url, SECONDS), '');
    for (const kind of FLOODS) {
      const flooder = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), 'flood', kind, String(listen)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.add(flooder);
      let counts = '';
      flooder.stdout!.on('data', (chunk: Buffer) => {
        counts += chunk.toString();
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const latencies = await probe(health, token, client, connection!.url, SECONDS);
      flooder.kill('SIGTERM');
      await new Promise((resolve) => flooder.once('exit', resolve));
      children.delete(flooder);
      row(`${kind} flood`, latencies, counts.trim());
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const sessions = (await (
      await fetch(new URL('/api/sessions?kind=postgres&limit=1000', dashboard), {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { sessions: unknown[] };
    rows.push([`PostgreSQL sessions recorded: ${sessions.sessions.length}`]);
    await client.end();
    glassbox.kill('SIGTERM');
    await new Promise((resolve) => glassbox.once('exit', resolve));
    children.delete(glassbox);
    return rows;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const server = await startPostgres({ auth: 'scram-sha-256' });
  const children = new Set<ChildProcess>();
  try {
    process.stdout.write(
      `glassbox serve with one PostgreSQL connection, at most ${NOFILE} descriptors; ${SECONDS} s per phase; ` +
        '/api/health and SELECT 1 probed back to back, a fresh API connection and PostgreSQL login every 250 ms.\n',
    );
    const header = [
      '',
      'health probes',
      'health ms p50 / p99 / max',
      'SELECT 1 ms p50 / p99',
      'fresh API conn. ok',
      'fresh PG logins ok',
      'flooder',
    ];
    for (const root of [ROOT, ...(COMPARE_ROOT ? [COMPARE_ROOT] : [])]) {
      const rows = await measure(root, server, children);
      process.stdout.write(`\n${root}\n`);
      for (const line of [header, ...rows]) process.stdout.write(`${line.join(' | ')}\n`);
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await server.stop();
  }
}

if (process.argv[2] === 'flood') {
  await flood(process.argv[3]!, Number(process.argv[4]));
} else {
  await main();
}
