/**
 * `npm run bench:masking`: the three masking benchmarks of issue 16 in one run — detector throughput
 * (masking-detectors.ts), added time to first token on the Anthropic path (masking-anthropic.ts) and
 * PostgreSQL TPS with wire masking on vs off (masking-pg.ts) — each printing its own tables, then their
 * headline figures side by side with the targets. `BENCH_ONLY=detectors,anthropic,pg` picks some.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeadlineFigure } from './summary.js';

const BENCHES = [
  { name: 'detectors', script: 'masking-detectors.ts' },
  { name: 'anthropic', script: 'masking-anthropic.ts' },
  { name: 'pg', script: 'masking-pg.ts' },
];

function run(script: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script)], {
      stdio: 'inherit',
      env,
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

const only = process.env.BENCH_ONLY?.split(',');
const dir = mkdtempSync(join(tmpdir(), 'glassbox-bench-masking-'));
const summary = join(dir, 'summary.jsonl');
const failed: string[] = [];
try {
  for (const bench of BENCHES.filter((b) => !only || only.includes(b.name))) {
    console.log(`\n=== ${bench.script} ===\n`);
    const code = await run(bench.script, { ...process.env, BENCH_SUMMARY_FILE: summary });
    if (code !== 0) failed.push(`${bench.script} (exit ${code})`);
  }
  let lines: Array<HeadlineFigure & { bench: string }> = [];
  try {
    lines = readFileSync(summary, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as HeadlineFigure & { bench: string });
  } catch {
    // No benchmark reported a figure.
  }
  console.log('\n=== Masking: headline figures ===\n');
  console.log('| benchmark | figure | measured | target |');
  console.log('| --- | --- | --- | --- |');
  for (const line of lines)
    console.log(`| ${line.bench} | ${line.what} | ${line.value} | ${line.target ?? ''} |`);
  if (failed.length > 0) {
    console.error(`\nFailed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
