/**
 * Benchmark: how long the guardrails classifiers take per operation. Not a test; run with
 * `npm run bench:policy`. For each classifier (one small function below builds its row; add a row for another
 * classifier the same way) it times every item of its corpus one call at a time, with no cache (each call
 * parses: a distinct statement's cost) and with a warm cache (a repeated statement's cost), and prints p50
 * and p99 in µs. BENCH_ROUNDS sets how many times the corpus is run (default 20).
 * Target (issue 17): a repeated statement costs next to nothing, so `pgbench -S` keeps ≥ 0.95× its TPS.
 */
import { loadavg } from 'node:os';
import { loadSqlParser, SqlClassifier } from '../../proxy/policy/guard/sql.js';
import {
  COMMENTS_AND_QUOTES,
  CONSTANT_TRUE_WHERE,
  CTES,
  READS,
  REAL_WHERE,
  WRITES,
} from '../helpers/sql-corpus.js';
import { COPY, DCL, DDL, FUNCTIONS, MULTI, UNKNOWN, UTILITY } from '../helpers/sql-corpus-ddl.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

/** One classifier to time: its corpus, and how to classify an item without and with its cache warm. */
interface Row {
  name: string;
  items: readonly string[];
  /** A classify function that parses every call. */
  cold: () => (item: string) => unknown;
  /** A classify function whose cache already holds every item. */
  warm: () => (item: string) => unknown;
}

/** About 200 distinct statements: the unit tests' corpus, WHERE variants, and ORM-style queries. */
function sqlCorpus(): string[] {
  const cases = [
    READS,
    COMMENTS_AND_QUOTES,
    WRITES,
    CTES,
    DDL,
    DCL,
    UTILITY,
    UNKNOWN,
    FUNCTIONS,
    COPY,
    MULTI,
  ];
  const statements = cases.flat().map((c) => c.sql);
  for (const where of [...CONSTANT_TRUE_WHERE, ...REAL_WHERE])
    statements.push(`DELETE FROM t WHERE ${where}`);
  for (let i = 0; statements.length < 200; i++) {
    const table = `"app_model${i}"`;
    statements.push(
      i % 2 === 0
        ? `SELECT ${table}."id", ${table}."name", ${table}."created_at" FROM ${table} WHERE ${table}."owner_id" = $1 ORDER BY ${table}."created_at" DESC LIMIT 21`
        : `UPDATE ${table} SET "name" = $1, "updated_at" = now() WHERE ${table}."id" = $2 RETURNING ${table}."id"`,
    );
  }
  return [...new Set(statements)];
}

async function sqlRow(): Promise<Row> {
  await loadSqlParser();
  const items = sqlCorpus();
  return {
    name: 'SQL statement',
    items,
    cold: () => {
      const classifier = new SqlClassifier({ cacheEntries: 0 });
      return (text) => classifier.classify(text);
    },
    warm: () => {
      const classifier = new SqlClassifier();
      for (const text of items) classifier.classify(text);
      return (text) => classifier.classify(text);
    },
  };
}

/** Rows to print (the shell and file tool classifiers print their own table after these). */
const ROWS: Array<() => Promise<Row>> = [sqlRow];

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** Time each call of `classify` over the items, ROUNDS times; µs per call, sorted. */
function time(items: readonly string[], classify: (item: string) => unknown): Float64Array {
  const samples = new Float64Array(items.length * ROUNDS);
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const item of items) {
      const start = process.hrtime.bigint();
      classify(item);
      samples[n++] = Number(process.hrtime.bigint() - start) / 1000;
    }
  }
  return samples.sort();
}

function µs(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(0);
}

/** The worst a single text can cost: a bulk INSERT just under the classifier's 1 Mi-character limit. */
function largestText(): string {
  const rows: string[] = [];
  let length = 0;
  for (let i = 0; length < 1_000_000; i++) {
    const row = `(${i}, 'customer ${i}', ${i * 7}.50, now())`;
    rows.push(row);
    length += row.length + 1;
  }
  return `INSERT INTO orders (id, name, total, created_at) VALUES ${rows.join(',')}`;
}

async function main(): Promise<void> {
  console.log(`policy classifiers, ${ROUNDS} rounds, load average ${loadavg()[0]?.toFixed(1)}`);
  console.log('| classifier | distinct items | miss p50 µs | miss p99 µs | hit p50 µs | hit p99 µs |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const build of ROWS) {
    const row = await build();
    time(row.items, row.cold()); // warm up the JIT
    const miss = time(row.items, row.cold());
    const hit = time(row.items, row.warm());
    const cells = [percentile(miss, 50), percentile(miss, 99), percentile(hit, 50), percentile(hit, 99)].map(
      µs,
    );
    console.log(`| ${row.name} | ${row.items.length} | ${cells.join(' | ')} |`);
  }
  const big = largestText();
  const classifier = new SqlClassifier();
  const start = process.hrtime.bigint();
  const facts = classifier.classify(big);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(
    `\nlargest text classified: ${big.length} characters (multi-row INSERT), ${ms.toFixed(0)} ms (${facts.effect})`,
  );
}

await main();
// The shell and file tool classifiers' table, in the same run (policy-classify-tools.ts prints it on import).
console.log('');
await import('./policy-classify-tools.js');
