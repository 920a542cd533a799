/**
 * Benchmark: what recording through Glassbox costs an Anthropic API client. Not a test; run with
 * `npm run bench:anthropic`. The mock API, the engine (`glassbox serve`) and this load generator are
 * separate processes, measured side by side in one run:
 *   1. added time to first token (p50, p99) for streamed replies, direct vs through Glassbox, interleaved;
 *   2. throughput at 200 concurrent streams, through Glassbox as a ratio of direct, both with replies paced
 *      like a model generating tokens and unpaced (a CPU-bound worst case);
 *   3. bytes forwarded vs bytes recorded, and whether every forwarded reply was recorded.
 * Two peers run beside them: a plain http-proxy pass-through with no recording (the cost of any Node hop),
 * and a second `glassbox serve` with its recording switch off (the same proxy path, nothing recorded).
 * Targets (issue 2): p50 added TTFT ≤ 1 ms, throughput ≥ 0.8× direct, nothing forwarded unrecorded.
 * BENCH_CPU_PROF_DIR=dir profiles the engine (node --cpu-prof) for the whole run. BENCH_COMPARE_ROOT=dir adds a
 * `glassbox serve` from another built checkout (e.g. the commit before a change) as one more target, so two
 * builds are compared in one run, interleaved. BENCH_SECONDS=0 measures time to first token only.
 *   4. bytes written to storage and peak memory per byte of one long streamed reply (330 KB, 2.2 MB, 20 MB),
 *      each through a fresh engine of this build and of the compared one (reply-bytes.ts). It runs with the
 *      throughput phase; BENCH_REPLY_BYTES=0 skips it, =1 runs it even with BENCH_SECONDS=0, =only runs it alone.
 *
 * CPU placement: on a machine with 2+ CPUs and `taskset`, the time-to-first-token phase pins this load generator
 * and the mock to CPU 0 and every proxy to CPU 1, so each target sees the same placement. Unpinned, which CPU
 * a process happens to sleep on moves its p50 by up to 0.2 ms on a 2-vCPU VM (three identical http-proxy
 * processes measured +0.62, +0.82 and +0.61 ms, the slow one slow in every run). The throughput phase runs
 * unpinned, on every CPU. BENCH_PIN=none turns pinning off.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { tempHome } from '../helpers/engine.js';
import { replyBytesPhase } from './reply-bytes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TTFT_SAMPLES = Number(process.env.BENCH_TTFT_SAMPLES ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 200);
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** Another built checkout whose engine runs as one more target (see the header). */
const COMPARE_ROOT = process.env.BENCH_COMPARE_ROOT;
const DELTAS = 50;
const PACE_MS = Number(process.env.BENCH_PACE_MS ?? 10);
const TTFT_PACE_MS = 2;
/** Whether phase 4 runs: '0' never, '1' always, 'only' alone; by default with the throughput phase. */
const REPLY_BYTES = process.env.BENCH_REPLY_BYTES ?? (THROUGHPUT_SECONDS > 0 ? '1' : '0');
/** CPUs this run may use, read before any pinning narrows this process's own affinity. */
const CPUS = availableParallelism();

const BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  stream: true,
  messages: [{ role: 'user', content: 'Write a paragraph about foxes.' }],
});

/**
 * A request the size of a Claude Code turn some way into a session (about 120 KB of JSON): a long system
 * prompt, 20 tool definitions and 60 messages of text, tool calls and tool results.
 */
const LARGE_BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 32_000,
  stream: true,
  system: [{ type: 'text', text: 'You are a coding agent working in a repository. '.repeat(170) }],
  tools: Array.from({ length: 20 }, (_, i) => ({
    name: `Tool${i}`,
    description: 'Runs an operation on the workspace and reports what happened. '.repeat(16),
    input_schema: {
      type: 'object',
      properties: {
        target: { type: 'string', description: 'What to work on. '.repeat(12) },
        limit: { type: 'number' },
      },
      required: ['target'],
    },
  })),
  messages: Array.from({ length: 60 }, (_, i) =>
    i % 2
      ? {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Looking at the failing test and the code it covers. '.repeat(20) },
            { type: 'tool_use', id: `toolu_${i}`, name: 'Bash', input: { command: `npm test -- case ${i}` } },
          ],
        }
      : {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: `toolu_${i - 1}`,
              content: 'PASS test/unit/case.test.ts\n'.repeat(40),
            },
          ],
        },
  ),
});

interface StreamResult {
  ttftUs: number;
  totalUs: number;
  bytes: number;
}

/** One streamed request; TTFT is measured to the first chunk containing a content_block_delta. */
function stream(
  base: URL,
  agent: Agent,
  session: string,
  paceMs = 0,
  deltas = DELTAS,
  body = BODY,
): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let ttft = -1;
    let bytes = 0;
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path: '/v1/messages',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-api-key': 'sk-ant-api03-benchmark-key-0000000000000000',
          'x-glassbox-session': session,
          'x-bench-pace-ms': String(paceMs),
          'x-bench-deltas': String(deltas),
        },
      },
      (res) => {
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (ttft < 0 && chunk.includes('content_block_delta'))
            ttft = Number(process.hrtime.bigint() - started) / 1000;
        });
        res.on('end', () =>
          resolve({ ttftUs: ttft, totalUs: Number(process.hrtime.bigint() - started) / 1000, bytes }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  cwd = ROOT,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match) resolve({ child, match });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

/**
 * Sets the CPU affinity of every thread of `pid` (taskset -a), e.g. cpus "1" or "0-1". Returns false when
 * pinning is off (BENCH_PIN=none), or impossible: one CPU, or no `taskset`.
 */
function pin(pid: number | undefined, cpus: string): boolean {
  if (process.env.BENCH_PIN === 'none' || CPUS < 2 || pid === undefined) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Throughput {
  streams: number;
  bytes: number;
  perSecond: number;
}

async function throughput(base: URL, seconds: number, paceMs: number, tag: string): Promise<Throughput> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const deadline = Date.now() + seconds * 1000;
  let streams = 0;
  let bytes = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      while (Date.now() < deadline) {
        const result = await stream(base, agent, `${tag}-${worker}`, paceMs);
        streams++;
        bytes += result.bytes;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  agent.destroy();
  return { streams, bytes, perSecond: streams / elapsed };
}

const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`.padStart(10);

async function main(): Promise<void> {
  const home = tempHome('glassbox-bench-');
  const mock = await startChild(
    ['--import', 'tsx', 'test/bench/mock-main.ts', String(DELTAS)],
    {},
    /LISTENING (\S+)/,
  );
  const mockUrl = new URL(mock.match[1]!);
  const peer = await startChild(
    ['--import', 'tsx', 'test/bench/passthrough-main.ts', mockUrl.toString()],
    {},
    /LISTENING (\S+)/,
  );
  const peerUrl = new URL(peer.match[1]!);
  const profile = process.env.BENCH_CPU_PROF_DIR
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR]
    : [];
  /**
   * `glassbox serve` of the checkout at `root` in `home`, in front of the mock; the match holds its proxy URL,
   * then its dashboard URL.
   */
  const serve = (home: string, extra: string[] = [], root = ROOT) =>
    startChild(
      [
        ...extra,
        'bin/glassbox.js',
        'serve',
        ...['--anthropic-port', '0', '--api-port', '0'],
        '--anthropic-upstream',
        mockUrl.toString(),
      ],
      { GLASSBOX_HOME: home },
      /Anthropic proxy\s+(http:\/\/\S+)[\s\S]*Dashboard\s+(http:\/\/\S+)/,
      root,
    );
  const engine = await serve(home, profile);
  const glassboxUrl = new URL(engine.match[1]!);
  // A second engine with its recording switch off: the same proxy path without recording, which splits
  // Glassbox's added time into what the proxy costs and what recording before forwarding costs.
  const pausedHome = tempHome('glassbox-bench-paused-');
  const paused = await serve(pausedHome);
  await switchRecordingOff(new URL(paused.match[2]!));
  const compareHome = COMPARE_ROOT ? tempHome('glassbox-bench-compared-') : undefined;
  const compared = COMPARE_ROOT && compareHome ? await serve(compareHome, [], COMPARE_ROOT) : undefined;
  const targets: Record<string, URL> = {
    direct: mockUrl,
    'http-proxy (no recording)': peerUrl,
    'glassbox, recording off': new URL(paused.match[1]!),
    ...(compared ? { 'glassbox, compared build': new URL(compared.match[1]!) } : {}),
    glassbox: glassboxUrl,
  };
  try {
    console.log(
      `Glassbox Anthropic overhead benchmark — ${DELTAS} text deltas per reply, ${CONCURRENCY} concurrent streams, node ${process.version}`,
    );
    console.log(
      'Processes: mock API, plain http-proxy peer, glassbox serve, and this load generator, on one machine.\n',
    );

    // 4. Bytes written per reply byte, through engines of its own (after the other phases, or alone).
    const replyBytes = async () => {
      if (REPLY_BYTES === '0') return;
      // Unpinned: this process and the mock on every CPU again, as the engines it starts will be.
      for (const pid of [process.pid, mock.child.pid]) pin(pid, `0-${CPUS - 1}`);
      const builds = {
        glassbox: ROOT,
        ...(COMPARE_ROOT ? { 'glassbox, compared build': COMPARE_ROOT } : {}),
      };
      await replyBytesPhase(mockUrl.toString(), builds);
    };
    if (REPLY_BYTES === 'only') return await replyBytes();

    // Every proxy on the same CPU for the sequential phase (see the header).
    const proxies = [peer.child, paused.child, engine.child, ...(compared ? [compared.child] : [])];
    const pinned =
      pin(process.pid, '0') && pin(mock.child.pid, '0') && proxies.every((child) => pin(child.pid, '1'));
    console.log(
      pinned
        ? 'Time to first token: load generator and mock pinned to CPU 0, each proxy to CPU 1.\n'
        : 'Time to first token: processes not pinned to CPUs (BENCH_PIN=none, one CPU, or no taskset).\n',
    );

    // 1. Time to first token, one request at a time, the targets interleaved so drift hits all alike.
    //    Paced: the first delta follows the block start after a pause, as from a model (the headline figure).
    //    Unpaced: the whole reply arrives in one burst, so the first delta waits behind the burst's processing.
    //    Large: paced, with a request the size of a Claude Code turn (recording it is on the path).
    const largeKb = Math.round(Buffer.byteLength(LARGE_BODY) / 1024);
    for (const [label, paceMs, deltas, body] of [
      [`paced, ${TTFT_PACE_MS} ms between events, 3 deltas`, TTFT_PACE_MS, 3, BODY],
      [`unpaced, ${DELTAS} deltas in one burst`, 0, DELTAS, BODY],
      [`paced, a ${largeKb} KB request (a Claude Code turn's size)`, TTFT_PACE_MS, 3, LARGE_BODY],
    ] as const) {
      const agents = Object.fromEntries(
        Object.keys(targets).map((name) => [name, new Agent({ keepAlive: true, maxSockets: 1 })]),
      );
      const ttft: Record<string, number[]> = Object.fromEntries(
        Object.keys(targets).map((name) => [name, []]),
      );
      const entries = Object.entries(targets);
      for (let i = 0; i < TTFT_SAMPLES + 30; i++) {
        // The order rotates each round, so no target always follows the same one (caches, CPU state).
        const round = [...entries.slice(i % entries.length), ...entries.slice(0, i % entries.length)];
        for (const [name, url] of round) {
          const result = await stream(url, agents[name]!, 'ttft', paceMs, deltas, body);
          if (i >= 30) ttft[name]!.push(result.ttftUs);
        }
      }
      for (const agent of Object.values(agents)) agent.destroy();
      console.log(`Time to first token, ${TTFT_SAMPLES} sequential streams each, ${label}:`);
      console.log(`  ${''.padEnd(28)}${'p50'.padStart(10)}${'p99'.padStart(10)}   added p50   added p99`);
      const base50 = percentile(ttft.direct!, 50);
      const base99 = percentile(ttft.direct!, 99);
      for (const name of Object.keys(targets)) {
        const p50 = percentile(ttft[name]!, 50);
        const p99 = percentile(ttft[name]!, 99);
        const added = name === 'direct' ? '' : `${ms(p50 - base50)}  ${ms(p99 - base99)}`;
        console.log(`  ${name.padEnd(28)}${ms(p50)}${ms(p99)}  ${added}`);
      }
      console.log('');
    }

    if (THROUGHPUT_SECONDS <= 0) return await replyBytes();
    // 2. Throughput at CONCURRENCY concurrent streams: paced like a model, and unpaced, on every CPU.
    const everyCpu = `0-${CPUS - 1}`;
    if (pinned) for (const child of [process, mock.child, ...proxies]) pin(child.pid, everyCpu);
    for (const paceMs of [PACE_MS, 0]) {
      const label = paceMs
        ? `paced, a delta every ${paceMs} ms (like a model generating tokens)`
        : 'unpaced (CPU-bound worst case)';
      console.log(
        `\nThroughput at ${CONCURRENCY} concurrent streams, ${label}, ${THROUGHPUT_SECONDS} s each:`,
      );
      const results: Record<string, Throughput> = {};
      for (const [name, url] of Object.entries(targets)) {
        results[name] = await throughput(url, THROUGHPUT_SECONDS, paceMs, `tp${paceMs}`);
        const ratio =
          name === 'direct'
            ? ''
            : `   ${(results[name].perSecond / results.direct!.perSecond).toFixed(2)}× direct`;
        console.log(
          `  ${name.padEnd(28)}${results[name].perSecond.toFixed(0).padStart(7)} streams/s${ratio}`,
        );
      }
      forwarded.streams += results.glassbox!.streams;
      forwarded.bytes += results.glassbox!.bytes;
    }

    // 3. Forwarded vs recorded, read from the store after a clean stop.
    engine.child.kill('SIGTERM');
    await new Promise((resolve) => engine.child.once('exit', resolve));
    const db = new Database(join(home, 'glassbox.db'), { readonly: true });
    const recorded = db
      .prepare(
        `SELECT count(*) AS turns, sum(json_extract(payload, '$.response_bytes')) AS bytes,
                sum(json_extract(payload, '$.outcome') = 'complete') AS complete
         FROM events WHERE kind = 'llm.turn' AND session_id IN (SELECT id FROM sessions WHERE external_id LIKE 'tp%')`,
      )
      .get() as { turns: number; bytes: number; complete: number };
    const unsealed = (db.prepare('SELECT count(*) AS n FROM inflight').get() as { n: number }).n;
    const outcomes = db
      .prepare(
        `SELECT json_extract(payload, '$.outcome') AS outcome, count(*) AS n, sum(json_extract(payload, '$.response_bytes')) AS bytes
         FROM events WHERE kind = 'llm.turn' AND session_id IN (SELECT id FROM sessions WHERE external_id LIKE 'tp%')
         GROUP BY outcome`,
      )
      .all() as Array<{ outcome: string; n: number; bytes: number }>;
    db.close();
    const dbBytes = statSync(join(home, 'glassbox.db')).size;
    console.log('Forwarded vs recorded (both throughput phases through Glassbox):');
    console.log(
      `  streams forwarded ${forwarded.streams}, turns recorded ${recorded.turns} (${recorded.complete} complete), unsealed ${unsealed}`,
    );
    console.log(
      `  reply bytes forwarded ${forwarded.bytes}, recorded as forwarded ${recorded.bytes}, database file ${dbBytes} bytes`,
    );
    const whole =
      recorded.turns === forwarded.streams && recorded.bytes === forwarded.bytes && unsealed === 0;
    console.log(`  nothing forwarded unrecorded: ${whole ? 'yes' : 'NO'}`);
    console.log(`  outcomes: ${outcomes.map((o) => `${o.outcome} ${o.n} (${o.bytes} bytes)`).join(', ')}`);
    await replyBytes();
  } finally {
    engine.child.kill('SIGKILL');
    paused.child.kill('SIGKILL');
    rmSync(pausedHome, { recursive: true, force: true });
    compared?.child.kill('SIGKILL');
    if (compareHome) rmSync(compareHome, { recursive: true, force: true });
    peer.child.kill('SIGKILL');
    mock.child.kill('SIGTERM');
    rmSync(home, { recursive: true, force: true });
  }
}

/** POST /api/recording {recording: false} on the engine whose dashboard URL (with `#token=`) is given. */
async function switchRecordingOff(dashboard: URL): Promise<void> {
  const token = new URLSearchParams(dashboard.hash.slice(1)).get('token');
  const response = await fetch(new URL('/api/recording', dashboard), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ recording: false, via: 'bench' }),
  });
  if (!response.ok)
    throw new Error(`POST /api/recording answered ${response.status}: ${await response.text()}`);
}

const forwarded = { streams: 0, bytes: 0 };
await main();
