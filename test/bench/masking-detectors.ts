/**
 * Benchmark: how fast the built-in detectors scan a Claude Code request. Not a test; run with
 * `npm run bench:masking-detectors`. It builds requests of about 100 KB of JSON the way Claude Code sends them
 * (a system prompt of prose, a tool definition, then turns of tool calls and tool results holding this
 * repository's own source files, logs with timestamps, UUIDs, SHAs, private addresses and versions, `npm ls`
 * JSON, and prose), then times
 * `findAll(text, BUILTIN_DETECTORS)` over them, with no secrets in them and with about fifteen planted secrets
 * and personal data, and prints MB/s (millions of characters per second, which are bytes for ASCII JSON;
 * median of rounds) and µs per request.
 * Target (issue 16): well over 50 MB/s on the 2-core VM. BENCH_ROUNDS sets the rounds (default 30);
 * BENCH_PROFILE=1 prints the time the prefilter, the shared numeric clusters and each detector take, on both
 * corpora (each detector run whether or not the prefilter would have run it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_DETECTORS, findAll } from '../../proxy/policy/detectors/index.js';
import { buildPrefilter } from '../../proxy/policy/detectors/prefilter.js';
import { isScanDetector, TextScan } from '../../proxy/policy/detectors/scan.js';
import { fake } from '../helpers/fake-secrets.js';
import { reportHeadlines } from './summary.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const TARGET_CHARS = 100 * 1024;

/** A deterministic pseudo-random source, so every run scans the same corpus. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

const PROSE = `You are an interactive CLI tool that helps users with software engineering tasks. Use the instructions
below and the tools available to you to assist the user. When you are unsure, read the code first: the answer
is usually in the repository. Keep your responses short, since they will be displayed on a command line
interface. Never commit changes unless the user explicitly asks you to. Before running a command that changes
the system, explain what it does and why. Prefer editing existing files to creating new ones; follow the
conventions of the code around you, its naming, its tests, its error handling. When a task has several steps,
track them in a todo list and mark each one done as soon as it is. Tokens in the context window are limited,
so summarise long outputs rather than pasting them whole. The user's time matters more than yours.`;

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const dir of ['proxy/anthropic', 'proxy/postgres', 'proxy/store', 'proxy/api']) {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      if (name.endsWith('.ts')) files.push(readFileSync(join(ROOT, dir, name), 'utf8'));
    }
  }
  return files;
}

function buildLog(rand: (n: number) => number): string {
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) {
    const ts = new Date(Date.UTC(2025, 4, 1, 12, 0, i)).toISOString();
    const id = [8, 4, 4, 4, 12]
      .map((n) => Array.from({ length: n }, () => '0123456789abcdef'[rand(16)]).join(''))
      .join('-');
    const sha = Array.from({ length: 40 }, () => '0123456789abcdef'[rand(16)]).join('');
    lines.push(
      `${ts} INFO  [worker-${rand(8)}] request ${id} order #${100000 + rand(900000)} from 10.0.${rand(256)}.${rand(256)} ` +
        `took ${rand(900)}.${rand(10)} ms (v1.${rand(20)}.${rand(10)}.${rand(100)}) commit ${sha.slice(0, rand(2) ? 7 : 40)}`,
    );
  }
  return lines.join('\n');
}

function npmLs(rand: (n: number) => number): string {
  const deps: Record<string, { version: string; resolved: string; integrity: string }> = {};
  for (const name of [
    'react',
    'vite',
    'zod',
    'pg',
    'ws',
    'ulid',
    'commander',
    'tsx',
    'vitest',
    'typescript',
  ]) {
    const version = `${rand(20)}.${rand(20)}.${rand(20)}`;
    deps[name] = {
      version,
      resolved: `https://registry.npmjs.org/${name}/-/${name}-${version}.tgz`,
      integrity: `sha512-${Buffer.from(Array.from({ length: 64 }, () => rand(256))).toString('base64')}`,
    };
  }
  return JSON.stringify({ name: 'glassbox', version: '0.1.0', dependencies: deps }, null, 2);
}

/** About `TARGET_CHARS` of request JSON; with `plant`, a secret or personal value in every few blocks. */
function buildRequest(seed: number, plant: boolean): string {
  const rand = lcg(seed);
  const files = sourceFiles();
  const planted = [
    () => `ANTHROPIC_API_KEY=${fake.anthropic()}`,
    () => `export GITHUB_TOKEN=${fake.githubToken()}`,
    () =>
      `aws_access_key_id = ${fake.awsAccessKeyId()}\naws_secret_access_key = ${fake.awsSecretAccessKey()}`,
    () => `DATABASE_URL=postgres://app:${fake.password(24)}@db.example.internal:5432/app`,
    () => `{"email": "${fake.email()}", "phone": "${fake.usPhone()}", "card": "${fake.card()}"}`,
    () => `Authorization: Bearer ${fake.jwt()}`,
    () => `client ip ${fake.publicIPv4()} iban ${fake.iban()} ssn ${fake.ssn()}`,
    () => fake.opensshPem(),
    () => `SLACK_WEBHOOK=${fake.slackWebhook()} STRIPE_KEY=${fake.stripe()}`,
  ];
  const messages: unknown[] = [];
  let size = PROSE.length * 3;
  let turn = 0;
  while (size < TARGET_CHARS) {
    const kind = turn % 4;
    let text: string;
    if (kind === 0) text = files[rand(files.length)]!.slice(0, 6000);
    else if (kind === 1) text = buildLog(rand);
    else if (kind === 2) text = npmLs(rand);
    else
      text = `${PROSE.slice(0, 400 + rand(400))}\n\nRan \`npm test\`: ${rand(300)} passed, 0 failed in ${rand(60)}s.`;
    if (plant && turn % 2 === 0) text += `\n${planted[(turn / 2) % planted.length]!()}\n`;
    const id = `toolu_${Array.from({ length: 24 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[rand(36)]).join('')}`;
    messages.push(
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id, name: 'Bash', input: { command: 'cat file' } }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: text }] },
    );
    size += text.length + 200;
    turn++;
  }
  return JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    system: [{ type: 'text', text: `${PROSE}\n\n${PROSE}\n\n${PROSE}` }],
    tools: [{ name: 'Bash', description: PROSE.slice(0, 300), input_schema: { type: 'object' } }],
    messages,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function measure(label: string, corpus: string[]): void {
  for (const text of corpus) findAll(text, BUILTIN_DETECTORS); // warm up
  const rates: number[] = [];
  const perRequest: number[] = [];
  let findings = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let chars = 0;
    const t0 = process.hrtime.bigint();
    for (const text of corpus) {
      findings = findAll(text, BUILTIN_DETECTORS).length;
      chars += text.length;
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(chars / 1e6 / seconds);
    perRequest.push((seconds * 1e6) / corpus.length);
  }
  const kb = Math.round(corpus.reduce((n, t) => n + t.length, 0) / corpus.length / 1024);
  reportHeadlines('detectors', [
    { what: `throughput, ${kb} KB requests, ${label}`, value: `${median(rates).toFixed(1)} MB/s` },
  ]);
  console.log(
    `${label.padEnd(26)} ${median(rates).toFixed(1).padStart(7)} MB/s   ${median(perRequest).toFixed(0).padStart(6)} µs per ${kb} KB request   (${findings} findings in the last)`,
  );
}

/** Time per request of the prefilter, the shared numeric clusters, then each detector on the shared scan. */
function profile(corpus: string[]): void {
  const prefilter = buildPrefilter(BUILTIN_DETECTORS);
  const per = (t0: bigint) =>
    (Number(process.hrtime.bigint() - t0) / 1e3 / ROUNDS / corpus.length).toFixed(0).padStart(5);
  let t0 = process.hrtime.bigint();
  for (let r = 0; r < ROUNDS; r++) for (const text of corpus) prefilter.scan(text);
  console.log(`  ${'prefilter'.padEnd(30)} ${per(t0)} µs`);
  const scans = corpus.map((text) => () => new TextScan(text, prefilter.scan(text).hits));
  t0 = process.hrtime.bigint();
  for (let r = 0; r < ROUNDS; r++) for (const make of scans) make().numericClusters();
  console.log(`  ${'numeric clusters (shared)'.padEnd(30)} ${per(t0)} µs`);
  for (const detector of BUILTIN_DETECTORS) {
    const prepared = scans.map((make) => {
      const scan = make();
      scan.numericClusters();
      return scan;
    });
    let n = 0;
    t0 = process.hrtime.bigint();
    for (let r = 0; r < ROUNDS; r++)
      for (const scan of prepared)
        n += [...(isScanDetector(detector) ? detector.findIn(scan) : detector.find(scan.text))].length;
    console.log(`  ${detector.id.padEnd(30)} ${per(t0)} µs${n ? ` (${n / ROUNDS} found)` : ''}`);
  }
}

const clean = [1, 2, 3, 4, 5].map((seed) => buildRequest(seed, false));
const planted = [1, 2, 3, 4, 5].map((seed) => buildRequest(seed, true));
console.log(
  `findAll(BUILTIN_DETECTORS), ${BUILTIN_DETECTORS.length} detectors, ${ROUNDS} rounds of 5 requests (load average ${loadavg()[0]!.toFixed(1)})`,
);
measure('no secrets', clean);
measure('with planted secrets', planted);
if (process.env.BENCH_PROFILE === '1') {
  console.log('time per request (clean corpus), each detector on a shared scan:');
  profile(clean);
  console.log('time per request (planted corpus), each detector on a shared scan:');
  profile(planted);
}
