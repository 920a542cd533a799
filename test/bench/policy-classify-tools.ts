/**
 * Benchmark: how long the guard's classifiers take per operation (issue 17, "Speed"). Not a test; run with
 * `npm run bench:policy`. Each part classifies its corpus item by item, `BENCH_ROUNDS` rounds (default 50),
 * timing every call alone, and prints p50, p99 and max in µs per call over all calls (which include the
 * machine's preemptions on a loaded VM), and p50/p99 over the items' own medians (what a command costs). Parts: the shell classifier over about
 * 200 Claude Code `Bash` command lines; the file tool classifier over `Write`/`Edit`/`NotebookEdit` inputs.
 * policy-classify.ts (the SQL classifier) imports this file to print this table after its own.
 */
import { loadavg } from 'node:os';
import { classifyFileTool } from '../../proxy/policy/guard/file-tools.js';
import { loadShellParser, ShellClassifier } from '../../proxy/policy/guard/shell.js';
import { shellCorpus } from './policy-classify-shell.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);

/** One part's figures. */
interface Row {
  part: string;
  items: number;
  calls: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  /** The same over each item's median across rounds: what an item costs, without the machine's preemptions. */
  item_p50_us: number;
  item_p99_us: number;
  /** The slowest item by its median, for a look. */
  slowest: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/** Times `fn` on every item, every round (one untimed warm-up round first); µs per call. */
function timeEach<T>(part: string, items: T[], fn: (item: T) => unknown): Row {
  for (const item of items) fn(item);
  const samples: number[] = [];
  const perItem = items.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    items.forEach((item, i) => {
      const start = process.hrtime.bigint();
      fn(item);
      const us = Number(process.hrtime.bigint() - start) / 1000;
      samples.push(us);
      perItem[i]!.push(us);
    });
  }
  samples.sort((a, b) => a - b);
  const medians = perItem.map((s, i) => ({
    us: percentile(
      s.sort((a, b) => a - b),
      50,
    ),
    i,
  }));
  medians.sort((a, b) => a.us - b.us);
  const byItem = medians.map((m) => m.us);
  const slowest = medians.at(-1);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    part,
    items: items.length,
    calls: samples.length,
    p50_us: round(percentile(samples, 50)),
    p99_us: round(percentile(samples, 99)),
    max_us: round(samples.at(-1) ?? 0),
    item_p50_us: round(percentile(byItem, 50)),
    item_p99_us: round(percentile(byItem, 99)),
    slowest: slowest ? `${JSON.stringify(items[slowest.i]).slice(0, 60)} (${round(slowest.us)} µs)` : '',
  };
}

/** The shell classifier, per command line. */
export async function benchShell(): Promise<Row> {
  await loadShellParser();
  const classifier = new ShellClassifier();
  const context = { cwd: '/home/dev/project', home: '/home/dev', readFile: () => 'DROP TABLE x;' };
  const row = timeEach('shell (Bash command lines)', shellCorpus(), (line) =>
    classifier.classify(line, context),
  );
  classifier.dispose();
  return row;
}

/** The file tool classifier, per tool call. */
export function benchFileTools(): Row {
  const inputs: Array<[string, unknown]> = [
    ['Write', { file_path: '/home/dev/project/src/a.ts', content: 'x'.repeat(2000) }],
    ['Edit', { file_path: 'src/../.env.local', old_string: 'a', new_string: 'b' }],
    ['NotebookEdit', { notebook_path: '~/nb/x.ipynb', new_source: 'print(1)' }],
    ['Read', { file_path: '/etc/hosts' }],
  ];
  const context = { cwd: '/home/dev/project', home: '/home/dev' };
  return timeEach('file tools (Write/Edit/…)', inputs, ([tool, input]) =>
    classifyFileTool(tool, input, context),
  );
}

async function main(): Promise<void> {
  console.log(`bench:policy — ${ROUNDS} rounds, load average ${loadavg()[0]?.toFixed(1)}`);
  const rows = [await benchShell(), benchFileTools()];
  console.log('| part | items | calls | p50 µs | p99 µs | max µs | per item: p50 µs | p99 µs |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.part} | ${r.items} | ${r.calls} | ${r.p50_us} | ${r.p99_us} | ${r.max_us} | ${r.item_p50_us} | ${r.item_p99_us} |`,
    );
  }
  for (const r of rows) console.log(`slowest ${r.part}: ${r.slowest}`);
}

await main();
