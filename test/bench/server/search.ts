/**
 * Search latency over the team server's HTTP API at a million stored events (issue 19's target: text search
 * p50 ≤ 100 ms). Loads the data set of search-data.ts into the server's PostgreSQL (bulk INSERT with real
 * hashes and the server's own search vectors, not through ingest: ingest has its own benchmark), then times
 * `GET /v1/sessions?person=…`, `GET /v1/search?q=…` with rare, medium and common words, and the other
 * filters, as an auditor and as a person reading their own, sequentially over HTTP; prints p50/p99 and the
 * EXPLAIN (ANALYZE, BUFFERS) of the query behind each case whose p50 is over {@link SLOW_MS}.
 *
 * Run alone: `node --import tsx test/bench/server/search.ts` (after `npm run build`); `BENCH_EVENTS` (default
 * 1000000) and `BENCH_ROUNDS` (default 30) scale it. The bench runner calls {@link benchServerSearch}.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { Me } from '../../../proxy/sync/protocol.js';
import { FilterQuery, type Query, type Viewer } from '../../../server/search/filters.js';
import { choosePlan, searchQuery } from '../../../server/search/search.js';
import { sessionsQuery } from '../../../server/search/sessions.js';
import { startTeamSetup, type TeamSetup } from '../../helpers/team-server.js';
import { type HeadlineFigure, reportHeadlines } from '../summary.js';
import type { ServerBenchSection } from './context.js';
import {
  type DataShape,
  type GeneratedSession,
  generateSessions,
  insertSessions,
  personOf,
  RARE_HITS,
  RARE_WORDS,
  vocabulary,
} from './search-data.js';

/** A case whose p50 is above this gets its plan printed. */
const SLOW_MS = 50;

/** Options of {@link benchServerSearch}. */
export interface SearchBenchOptions {
  /** Events to load (default `BENCH_EVENTS` or 1,000,000). */
  events?: number;
  /** Timed requests per case (default `BENCH_ROUNDS` or 30). */
  rounds?: number;
  /** A running setup to use (default: a fresh one, stopped at the end). Its database must be empty. */
  team?: TeamSetup;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
}

/** One timed case: a name, the request paths it cycles through (as which login), and the query to EXPLAIN. */
interface Case {
  name: string;
  login: string;
  paths: string[];
  /** The queries the server runs for the first path, to EXPLAIN. */
  explain: (pool: pg.Pool) => Promise<Query[]>;
}

/**
 * Loads the data set, times the cases, prints a table and the plans of slow cases.
 * @returns the headline figures (also appended to `BENCH_SUMMARY_FILE` when set)
 */
export async function benchServerSearch(options: SearchBenchOptions = {}): Promise<HeadlineFigure[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const events = options.events ?? Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const rounds = options.rounds ?? Number(process.env.BENCH_ROUNDS ?? 30);
  const team = options.team ?? (await startTeamSetup({ accessTokenTtl: 3600 }));
  const pool = new pg.Pool({ connectionString: team.pg.superuserUrl, max: 3 });
  try {
    const tokens: Record<string, string> = {
      alice: await team.tokenFor('alice'),
      user005: await team.tokenFor('user005'),
    };
    const me = (await (
      await fetch(`${team.server.url}/v1/me`, { headers: { authorization: `Bearer ${tokens.user005}` } })
    ).json()) as Me;
    const shape: DataShape = { events, perSession: 200, people: 300, groups: 20, issuer: me.issuer };
    await load(pool, shape, log);
    const cases = buildCases(shape, me);
    log('');
    log(`| case (${rounds} requests, sequential) | matches on page 1 | p50 ms | p99 ms |`);
    log('| --- | --- | --- | --- |');
    const figures: HeadlineFigure[] = [];
    const slow: Array<{ name: string; plan: string }> = [];
    for (const c of cases) {
      const timings: number[] = [];
      let matches = 0;
      for (let i = -2; i < rounds; i++) {
        const path = c.paths[(i + c.paths.length) % c.paths.length]!;
        const began = performance.now();
        const response = await fetch(`${team.server.url}${path}`, {
          headers: { authorization: `Bearer ${tokens[c.login]}` },
        });
        const body = (await response.json()) as { sessions?: unknown[]; matches?: unknown[] };
        const took = performance.now() - began;
        if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
        if (i === 0) matches = (body.sessions ?? body.matches ?? []).length;
        if (i >= 0) timings.push(took);
      }
      const p50 = percentile(timings, 0.5);
      const p99 = percentile(timings, 0.99);
      log(`| ${c.name} | ${matches} | ${p50.toFixed(1)} | ${p99.toFixed(1)} |`);
      figures.push({
        what: `${c.name} at ${(events / 1e6).toFixed(1)}M events`,
        value: `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
        ...(c.name.startsWith('search') ? { target: 'p50 ≤ 100 ms' } : {}),
      });
      if (p50 > SLOW_MS || process.env.BENCH_EXPLAIN) {
        const plans = await Promise.all((await c.explain(pool)).map((query) => explain(pool, query)));
        slow.push({ name: c.name, plan: plans.join('\n--- then (when the walk finds less than a page):\n') });
      }
    }
    for (const { name, plan } of slow) log(`\nEXPLAIN (ANALYZE, BUFFERS) — ${name}:\n${plan}`);
    reportHeadlines('server-search', figures);
    return figures;
  } finally {
    await pool.end();
    if (!options.team) await team.stop();
  }
}

/** Inserts the data set, two transactions at a time, then ANALYZE. */
async function load(pool: pg.Pool, shape: DataShape, log: (line: string) => void) {
  const began = performance.now();
  const chunks: GeneratedSession[][] = [[]];
  let loaded = 0;
  const inflight = new Set<Promise<void>>();
  const flush = async (chunk: GeneratedSession[]) => {
    const client = await pool.connect();
    try {
      await insertSessions(client, shape, chunk);
    } finally {
      client.release();
    }
  };
  for (const session of generateSessions(shape)) {
    const chunk = chunks.at(-1)!;
    chunk.push(session);
    if (chunk.length < 25) continue;
    loaded += chunk.reduce((n, s) => n + s.drafts.length, 0);
    const job = flush(chunk).finally(() => inflight.delete(job));
    inflight.add(job);
    chunks.push([]);
    if (inflight.size >= 2) await Promise.race(inflight);
    if (loaded % 100_000 < 5_000)
      log(`loaded ${loaded} events (${((performance.now() - began) / 1000).toFixed(0)} s)`);
  }
  const rest = chunks.at(-1)!;
  if (rest.length > 0) inflight.add(flush(rest));
  await Promise.all(inflight);
  await pool.query('ANALYZE sessions');
  await pool.query('ANALYZE events');
  const count = (await pool.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n;
  const size = (
    await pool.query<{ size: string }>('SELECT pg_size_pretty(pg_database_size(current_database())) AS size')
  ).rows[0]!.size;
  log(`loaded ${count} events in ${((performance.now() - began) / 1000).toFixed(0)} s; database ${size}`);
}

function buildCases(shape: DataShape, me: Me): Case[] {
  const auditor: Viewer = {
    principal: {
      issuer: me.issuer,
      subject: 'alice',
      email: null,
      name: null,
      groups: ['auditors'],
      expiresAt: 0,
    },
    auditor: true,
  };
  const owner: Viewer = {
    principal: { ...auditor.principal, subject: me.subject, groups: [] },
    auditor: false,
  };
  const filters = (query: Record<string, string>) => FilterQuery.parse(query);
  const people = Array.from({ length: 20 }, (_, i) => personOf(i * 13, shape));
  const common = ['the', 'table', 'select', 'user', 'query'];
  // Ranks 400–404 of the Zipf vocabulary: a few thousand events each at 1M.
  const medium = vocabulary().slice(400, 405);
  const sessionsCase = (
    name: string,
    login: string,
    queries: Array<Record<string, string>>,
    viewer = auditor,
  ): Case => ({
    name,
    login,
    paths: queries.map((q) => `/v1/sessions?${new URLSearchParams(q)}`),
    explain: async () => [sessionsQuery(viewer, filters(queries[0]!))],
  });
  const searchCase = (
    name: string,
    login: string,
    queries: Array<Record<string, string>>,
    viewer = auditor,
  ): Case => ({
    name,
    login,
    paths: queries.map((q) => `/v1/search?${new URLSearchParams(q)}`),
    explain: async (pool) => {
      const query = filters(queries[0]!) as ReturnType<typeof filters> & { q: string };
      const { plan, fallback } = await choosePlan(pool, viewer, query);
      return plan.type === 'walk'
        ? [searchQuery(viewer, query, plan), searchQuery(viewer, query, fallback)]
        : [searchQuery(viewer, query, plan)];
    },
  });
  return [
    sessionsCase('sessions, no filter', 'alice', [{}]),
    sessionsCase(
      'sessions ?person=<email>',
      'alice',
      people.map((p) => ({ person: p.email })),
    ),
    sessionsCase(
      'sessions ?person=<subject>',
      'alice',
      people.map((p) => ({ person: p.subject })),
    ),
    sessionsCase(
      'sessions ?group=<group>',
      'alice',
      people.map((p) => ({ group: p.group })),
    ),
    sessionsCase('sessions, own (non-auditor)', 'user005', [{}], owner),
    sessionsCase(
      `sessions ?q=<rare word> (${RARE_HITS} events)`,
      'alice',
      RARE_WORDS.map((q) => ({ q })),
    ),
    sessionsCase(
      'sessions ?q=<common word>',
      'alice',
      common.map((q) => ({ q })),
    ),
    searchCase(
      `search ?q=<rare word> (${RARE_HITS} events)`,
      'alice',
      RARE_WORDS.map((q) => ({ q })),
    ),
    searchCase(
      'search ?q=<medium word>',
      'alice',
      medium.map((q) => ({ q })),
    ),
    searchCase(
      'search ?q=<common word>',
      'alice',
      common.map((q) => ({ q })),
    ),
    searchCase('search ?q=<two common words, never together>', 'alice', [{ q: 'kubectl limit' }]),
    searchCase(
      'search ?q=<common>&person=<email>',
      'alice',
      people.map((p, i) => ({ q: common[i % 5]!, person: p.email })),
    ),
    searchCase(
      'search ?q=<rare>&person=<email>',
      'alice',
      people.map((p, i) => ({ q: RARE_WORDS[i]!, person: p.email })),
    ),
    searchCase(
      'search ?q=<common>, own (non-auditor)',
      'user005',
      common.map((q) => ({ q })),
      owner,
    ),
  ];
}

async function explain(pool: pg.Pool, query: Query): Promise<string> {
  const result = await pool.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) ${query.text}`,
    query.values,
  );
  return result.rows.map((row) => row['QUERY PLAN']).join('\n');
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * (sorted.length - 1)))]!;
}

/**
 * The runner's section (test/bench/server.ts). It starts its own setup: the data set needs an empty database,
 * and the ingest section before it has filled the runner's.
 */
export const searchSection: ServerBenchSection = {
  name: 'search',
  description: 'search latency p50/p99 over the HTTP API at 1,000,000 mirrored events (BENCH_EVENTS)',
  run: async (context) => {
    context.headline(await benchServerSearch({ log: context.log }));
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchServerSearch().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
