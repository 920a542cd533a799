/**
 * bench:anthropic's fourth phase: what recording one long streamed reply writes to storage, per byte of the
 * reply, and how much memory it takes. Each reply goes through a fresh `glassbox serve` (of this checkout, and
 * of BENCH_COMPARE_ROOT's beside it), one at a time, from the bench's mock API:
 *   - 330 KB paced over about 10 s (a long reply as a model streams it);
 *   - 2.2 MB paced, with a client that stops reading for 10 s half-way (backpressure);
 *   - 20 MB unpaced (the largest reply of issue 15; a build that cannot finish it in 60 s is cut off).
 *
 * Bytes written are read from Linux's per-thread I/O counters (/proc/PID/task/TID/io, `wchar`: bytes passed to
 * write(2) and its kin, files and sockets alike) before and after the reply:
 *   - journal: the engine's main thread, less the bytes it wrote to sockets (the reply to the client, as the
 *     client's socket read them, and the request to the mock, as the client sent it);
 *   - SQLite: every other thread of the engine (the store's apply thread: WAL frames, and the WAL checkpoints
 *     into the database file when they happen).
 * Reply bytes are the bytes of the event stream the client read (its HTTP body), so a figure of 1 means the
 * engine wrote one byte for each byte it relayed. Peak RSS is the engine's VmHWM less its RSS before the reply.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tempHome } from '../helpers/engine.js';

/** One reply shape of the phase. */
interface ReplyCase {
  label: string;
  /** Text deltas of 20 characters (about 130 bytes of event stream each). */
  deltas: number;
  paceMs: number;
  /** The client stops reading for `pauseMs` once it has read this many bytes. */
  pauseAfter?: number;
  pauseMs?: number;
}

const CASES: readonly ReplyCase[] = [
  { label: '330 KB, paced over about 10 s', deltas: 2_550, paceMs: 4 },
  {
    label: '2.2 MB, paced, client stops reading 10 s half-way',
    deltas: 17_000,
    paceMs: 1,
    pauseAfter: 1_100_000,
    pauseMs: 10_000,
  },
  { label: '20 MB, unpaced', deltas: 155_000, paceMs: 0 },
];

/** A build that has not finished a reply by then is cut off (ms). */
const DEADLINE_MS = 60_000;

/** What one reply cost. */
interface ReplyCost {
  replyBytes: number;
  journalBytes: number;
  sqliteBytes: number;
  peakRssMb: number;
  seconds: number;
  finished: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `wchar` of every thread of `pid`, by thread id. */
function threadWrites(pid: number): Map<number, number> {
  const writes = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const io = readFileSync(`/proc/${pid}/task/${tid}/io`, 'utf8');
      writes.set(Number(tid), Number(/wchar: (\d+)/.exec(io)?.[1] ?? 0));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return writes;
}

/** RSS and its peak (VmHWM) of `pid`, MB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Starts `glassbox serve` of the checkout at `root` in front of `mockUrl`; resolves with it and its proxy URL. */
function serve(root: string, home: string, mockUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const args = ['bin/glassbox.js', 'serve', '--anthropic-port', '0', '--api-port', '0'];
  const child = spawn(process.execPath, [...args, '--anthropic-upstream', mockUrl], {
    cwd: root,
    env: { ...process.env, GLASSBOX_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Anthropic proxy\s+(http:\/\/\S+)[\s\S]*Press Ctrl\+C/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.on('exit', (code) => reject(new Error(`glassbox serve (${root}) exited with ${code}:\n${out}`)));
  });
}

/** Streams one reply of `shape` through `url`; the socket bytes both ways, and whether it ended in time. */
function streamOne(
  url: string,
  shape: ReplyCase,
): Promise<{ read: number; body: number; sent: number; finished: boolean }> {
  const body = JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 64_000,
    stream: true,
    messages: [{ role: 'user', content: 'Write a very long answer.' }],
  });
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-api-key': 'sk-ant-api03-benchmark-key-0000000000000000',
        'x-glassbox-session': `reply-bytes-${shape.deltas}`,
        'x-bench-pace-ms': String(shape.paceMs),
        'x-bench-deltas': String(shape.deltas),
        connection: 'close',
      },
    });
    let bodyBytes = 0;
    let paused = false;
    const deadline = setTimeout(() => req.destroy(new Error('deadline')), DEADLINE_MS);
    const done = (finished: boolean) => {
      clearTimeout(deadline);
      const socket = req.socket;
      resolve({ read: socket?.bytesRead ?? 0, body: bodyBytes, sent: socket?.bytesWritten ?? 0, finished });
    };
    req.on('response', (res) => {
      res.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
        if (!paused && shape.pauseAfter !== undefined && bodyBytes >= shape.pauseAfter) {
          paused = true;
          res.pause();
          setTimeout(() => res.resume(), shape.pauseMs ?? 0);
        }
      });
      res.on('end', () => done(true));
      res.on('error', () => done(false));
    });
    req.on('error', (error) => (error.message === 'deadline' ? done(false) : reject(error)));
    req.end(body);
  });
}

/** One reply of `shape` through a fresh engine of the checkout at `root`. */
async function measure(root: string, mockUrl: string, shape: ReplyCase): Promise<ReplyCost> {
  const home = tempHome('glassbox-bench-bytes-');
  const engine = await serve(root, home, mockUrl);
  const pid = engine.child.pid!;
  try {
    await sleep(500);
    const before = threadWrites(pid);
    const rssBefore = memory(pid).rss;
    const started = Date.now();
    const stream = await streamOne(engine.url, shape);
    const seconds = (Date.now() - started) / 1000;
    await sleep(1_500); // the seal reaches SQLite
    const after = threadWrites(pid);
    let journalBytes = 0;
    let sqliteBytes = 0;
    for (const [tid, written] of after) {
      const delta = written - (before.get(tid) ?? 0);
      if (tid === pid) journalBytes = delta - stream.read - stream.sent;
      else sqliteBytes += delta;
    }
    const peakRssMb = memory(pid).peak - rssBefore;
    return {
      replyBytes: stream.body,
      journalBytes,
      sqliteBytes,
      peakRssMb,
      seconds,
      finished: stream.finished,
    };
  } finally {
    engine.child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Runs the phase for each build in `roots` (name → checkout), the builds one after the other for each reply
 * shape, and prints a table. Needs Linux (/proc).
 */
export async function replyBytesPhase(mockUrl: string, roots: Record<string, string>): Promise<void> {
  console.log(
    '\nBytes written to storage per byte of one streamed reply (fresh engine each; see reply-bytes.ts):',
  );
  console.log(
    `  ${''.padEnd(28)}${'reply'.padStart(10)}${'journal/B'.padStart(11)}${'SQLite/B'.padStart(10)}${'total/B'.padStart(9)}${'peak RSS'.padStart(10)}${'time'.padStart(9)}`,
  );
  for (const shape of CASES) {
    console.log(`  ${shape.label}:`);
    for (const [name, root] of Object.entries(roots)) {
      const cost = await measure(root, mockUrl, shape);
      const per = (bytes: number) => (bytes / Math.max(cost.replyBytes, 1)).toFixed(2);
      const reply = `${(cost.replyBytes / 1e6).toFixed(2)} MB`;
      const note = cost.finished ? '' : `  did not finish in ${DEADLINE_MS / 1000} s`;
      console.log(
        `    ${name.padEnd(26)}${reply.padStart(10)}${per(cost.journalBytes).padStart(11)}${per(cost.sqliteBytes).padStart(10)}${per(cost.journalBytes + cost.sqliteBytes).padStart(9)}${`+${cost.peakRssMb.toFixed(0)} MB`.padStart(10)}${`${cost.seconds.toFixed(1)} s`.padStart(9)}${note}`,
      );
    }
  }
}
