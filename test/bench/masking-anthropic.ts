/**
 * Benchmark: what masking before storage adds to an Anthropic request's time to first token (issue 16, "Speed").
 * Not a test; run with `npm run bench:masking-anthropic`. The mock API, the engines (`glassbox serve`) and this
 * load generator are separate processes, measured side by side in one run, interleaved:
 *   - direct: the mock itself;
 *   - masking off: an engine whose policy.json turns every detector off (recording as before masking: a
 *     large body is journaled unread);
 *   - default policy: an engine without policy.json;
 *   - BENCH_COMPARE_ROOT=dir adds a `glassbox serve` from another built checkout (e.g. the build before).
 * The request is the 106 KB Claude Code–sized body of bench:anthropic, sent as a conversation's later turns:
 * every request resends the system prompt, the tools and 58 messages seen before, and its last two
 * messages (about 2.5 KB, code with `@` in it, so the email detector runs) are new. Target: masking adds
 * ≤ 0.3 ms p50 there. Two more rows: the same with an API key in an early message (masked in every turn),
 * and a first sight (every string new: the scan of a whole body).
 * CPU placement as bench:anthropic: load generator and mock on CPU 0, each engine on CPU 1 (BENCH_PIN=none
 * turns it off). BENCH_TTFT_SAMPLES (default 300) per row and target; BENCH_ROWS=0,2 runs those rows only;
 * BENCH_CPU_PROF_DIR=dir profiles the default-policy engine.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempHome } from '../helpers/engine.js';
import { reportHeadlines } from './summary.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLES = Number(process.env.BENCH_TTFT_SAMPLES ?? 300);
const WARMUP = 30;
const COMPARE_ROOT = process.env.BENCH_COMPARE_ROOT;
const CPUS = availableParallelism();
const PACE_MS = 2;

type Message = { role: 'user' | 'assistant'; content: unknown };

/** The 106 KB body of bench:anthropic: system prompt, 20 tools, 60 messages; `tail` replaces the last two. */
function body(tail: Message[], early?: string, everyString = ''): string {
  return JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 32_000,
    stream: true,
    system: [
      {
        type: 'text',
        text: `${everyString}${'You are a coding agent working in a repository. '.repeat(170)}`,
      },
    ],
    tools: Array.from({ length: 20 }, (_, i) => ({
      name: `Tool${i}`,
      description: `${everyString}${'Runs an operation on the workspace and reports what happened. '.repeat(16)}`,
      input_schema: {
        type: 'object',
        properties: {
          target: { type: 'string', description: `${everyString}${'What to work on. '.repeat(12)}` },
          limit: { type: 'number' },
        },
        required: ['target'],
      },
    })),
    messages: [
      ...Array.from(
        { length: 58 },
        (_, i): Message =>
          i % 2
            ? {
                role: 'assistant',
                content: [
                  {
                    type: 'text',
                    text: `${everyString}${'Looking at the failing test and the code it covers. '.repeat(20)}`,
                  },
                  {
                    type: 'tool_use',
                    id: `toolu_${i}`,
                    name: 'Bash',
                    input: { command: `npm test -- case ${i}` },
                  },
                ],
              }
            : {
                role: 'user',
                content: [
                  {
                    type: 'tool_result',
                    tool_use_id: `toolu_${i - 1}`,
                    content: `${everyString}${i === 10 && early ? early : ''}${'PASS test/unit/case.test.ts\n'.repeat(40)}`,
                  },
                ],
              },
      ),
      ...tail,
    ],
  });
}

/** The two newest messages of turn `n`: text never sent before. */
function freshTail(n: number): Message[] {
  const code = `import { parse } from '@scope/parser-${n}';\nexport function run${n}(input: string) {\n  return parse(input, { strict: true, turn: ${n} });\n}\n`;
  return [
    {
      role: 'assistant',
      content: [
        { type: 'text', text: `Turn ${n}: ${'Now the parser handles the nested case as well. '.repeat(12)}` },
        { type: 'tool_use', id: `toolu_new_${n}`, name: 'Read', input: { file_path: `src/run-${n}.ts` } },
      ],
    },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: `toolu_new_${n}`, content: code.repeat(9) }],
    },
  ];
}

const SECRET = `ANTHROPIC_API_KEY=sk-ant-api03-${'Q7xR2mK9pL4vN8wT'.repeat(3)}`;

interface Row {
  label: string;
  body: (n: number) => string;
}

const ROWS: Row[] = [
  { label: 'later turns (earlier messages seen before)', body: (n) => body(freshTail(n)) },
  { label: 'later turns, an API key in an early message', body: (n) => body(freshTail(n), SECRET) },
  { label: 'first sight (every string new)', body: (n) => body(freshTail(n), undefined, `[${n}] `) },
];

/** One streamed request; time to the first chunk holding a content_block_delta, in µs. */
function ttft(base: URL, agent: Agent, session: string, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first = -1;
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path: '/v1/messages',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'x-api-key': 'sk-ant-api03-benchmark-key-0000000000000000',
          'x-glassbox-session': session,
          'x-bench-pace-ms': String(PACE_MS),
          'x-bench-deltas': '3',
        },
      },
      (res) => {
        res.on('data', (chunk: Buffer) => {
          if (first < 0 && chunk.includes('content_block_delta'))
            first = Number(process.hrtime.bigint() - started) / 1000;
        });
        res.on('end', () => resolve(first));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
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

/** Pins every thread of `pid` to `cpus` (taskset -a); false when off (BENCH_PIN=none) or impossible. */
function pin(pid: number | undefined, cpus: string): boolean {
  if (process.env.BENCH_PIN === 'none' || CPUS < 2 || pid === undefined) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`.padStart(10);

/** CPU time a process has used so far (user + system, all threads), µs; 0 where /proc is not there. */
function cpuUs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100; // clock ticks at USER_HZ 100
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const homes: string[] = [];
  const children: ChildProcess[] = [];
  const mock = await startChild(['--import', 'tsx', 'test/bench/mock-main.ts', '3'], {}, /LISTENING (\S+)/);
  children.push(mock.child);
  const serve = async (policy: unknown, extra: string[] = [], root = ROOT) => {
    const home = tempHome('glassbox-bench-masking-');
    homes.push(home);
    if (policy !== undefined)
      writeFileSync(join(home, 'policy.json'), JSON.stringify(policy), { mode: 0o600 });
    const args = [...extra, 'bin/glassbox.js', 'serve', '--anthropic-port', '0', '--api-port', '0'];
    const started = await startChild(
      [...args, '--anthropic-upstream', mock.match[1]!],
      { GLASSBOX_HOME: home },
      /Anthropic proxy\s+(http:\/\/\S+)/,
      root,
    );
    children.push(started.child);
    return { url: new URL(started.match[1]!), child: started.child };
  };
  try {
    const profile = process.env.BENCH_CPU_PROF_DIR
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR]
      : [];
    const off = await serve({ detectors: { '*': { enabled: false } } });
    const on = await serve(undefined, profile);
    const compared = COMPARE_ROOT ? await serve(undefined, [], COMPARE_ROOT) : undefined;
    const targets: Record<string, URL> = {
      direct: new URL(mock.match[1]!),
      'masking off': off.url,
      ...(compared ? { 'compared build': compared.url } : {}),
      'default policy': on.url,
    };
    const pids: Record<string, number | undefined> = {
      'masking off': off.child.pid,
      ...(compared ? { 'compared build': compared.child.pid } : {}),
      'default policy': on.child.pid,
    };
    const pinned =
      pin(process.pid, '0') &&
      pin(mock.child.pid, '0') &&
      [off, on, ...(compared ? [compared] : [])].every((engine) => pin(engine.child.pid, '1'));
    const bytes = Buffer.byteLength(ROWS[0]!.body(0));
    console.log(
      `Masking before storage, Anthropic path — time to first token of a ${Math.round(bytes / 1024)} KB request, node ${process.version}`,
    );
    console.log(
      `${pinned ? 'Load generator and mock on CPU 0, engines on CPU 1' : 'Processes not pinned'}; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} at start.\n`,
    );
    let turn = 0;
    const only = process.env.BENCH_ROWS?.split(',').map(Number);
    for (const row of ROWS.filter((_, i) => !only || only.includes(i))) {
      const agents = Object.fromEntries(
        Object.keys(targets).map((name) => [name, new Agent({ keepAlive: true, maxSockets: 1 })]),
      );
      const times: Record<string, number[]> = Object.fromEntries(
        Object.keys(targets).map((name) => [name, []]),
      );
      const entries = Object.entries(targets);
      const session = `bench-${ROWS.indexOf(row)}`;
      const cpu: Record<string, number> = {};
      for (let i = 0; i < SAMPLES + WARMUP; i++) {
        if (i === WARMUP) for (const [name, pid] of Object.entries(pids)) cpu[name] = cpuUs(pid);
        // Each turn is new text for every target alike; the order rotates so no target always follows another.
        const payload = row.body(++turn);
        const round = [...entries.slice(i % entries.length), ...entries.slice(0, i % entries.length)];
        for (const [name, url] of round) {
          const us = await ttft(url, agents[name]!, session, payload);
          if (i >= WARMUP) times[name]!.push(us);
        }
      }
      for (const [name, pid] of Object.entries(pids)) cpu[name] = (cpuUs(pid) - cpu[name]!) / SAMPLES;
      for (const agent of Object.values(agents)) agent.destroy();
      console.log(`${row.label}, ${SAMPLES} streams per target:`);
      console.log(
        `  ${''.padEnd(18)}${'p50'.padStart(10)}${'p99'.padStart(10)}   added p50   added p99   engine CPU/request`,
      );
      const base50 = percentile(times.direct!, 50);
      const base99 = percentile(times.direct!, 99);
      for (const name of Object.keys(targets)) {
        const p50 = percentile(times[name]!, 50);
        const p99 = percentile(times[name]!, 99);
        const added = name === 'direct' ? '' : `${ms(p50 - base50)}  ${ms(p99 - base99)}  ${ms(cpu[name]!)}`;
        console.log(`  ${name.padEnd(18)}${ms(p50)}${ms(p99)}  ${added}`);
      }
      const masking = percentile(times['default policy']!, 50) - percentile(times['masking off']!, 50);
      console.log(`  masking adds (default policy − masking off, p50): ${ms(masking).trim()}\n`);
      reportHeadlines('anthropic', [
        {
          what: `added time to first token, p50: ${row.label}`,
          value: ms(masking).trim(),
          target: row.label.startsWith('later turns') ? '≤ 0.3 ms' : '',
        },
      ]);
    }
    console.log(
      `Load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const child of children) child.kill('SIGKILL');
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  }
}

await main();
