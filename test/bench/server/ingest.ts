/**
 * Ingest throughput of the team server: N simulated engines (N = 1, 4, 16 by default) post real hash chains
 * (payloads.ts) concurrently, each engine mirroring its sessions one after another in batches, as the engine's
 * mirror does; the server verifies every event's hash, stores it and indexes its text. Reported per N: events/s
 * over the wall time, the server process's CPU per event (µs, from /proc/PID/stat, read by the runner), and
 * PostgreSQL's CPU per event, and the ceiling two cores running only those two would reach; afterwards the database is checked to hold every event once and every session's
 * head at its last event.
 *
 * BENCH_ENGINES=1,4,16, BENCH_EVENTS (per N, default 40,000), BENCH_BATCH (events per request, default 200),
 * BENCH_SESSION_EVENTS (events per session, default 1,000).
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import type { ServerBenchContext, ServerBenchSection } from './context.js';
import { type PreparedSession, prepareSession } from './payloads.js';

const TARGET_EVENTS_PER_SECOND = 10_000;

interface LevelResult {
  engines: number;
  events: number;
  bytes: number;
  seconds: number;
  serverCpuMicros: number;
  postgresCpuMicros: number;
  generatorCpuMicros: number;
  retries: number;
}

/** Posts one engine's sessions in order, batch after batch; retries 429/503 as the mirror would. */
async function runEngine(url: string, token: string, sessions: PreparedSession[]): Promise<number> {
  let retries = 0;
  for (const session of sessions) {
    for (const body of session.bodies) {
      for (;;) {
        const response = await fetch(`${url}/v1/sessions/${session.id}/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        });
        const answer = await response.text();
        if (response.ok) break;
        if (response.status === 429 || response.status === 503) {
          retries++;
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        throw new Error(`session ${session.id}: ${response.status} ${answer.slice(0, 300)}`);
      }
    }
  }
  return retries;
}

async function runLevel(
  context: ServerBenchContext,
  engines: number,
  events: number,
  tag: string,
): Promise<LevelResult> {
  const batch = Number(process.env.BENCH_BATCH ?? 200);
  const perSession = Number(process.env.BENCH_SESSION_EVENTS ?? 1000);
  const logins = Array.from({ length: engines }, (_, i) => `engine-${i + 1}`);
  const tokens = await Promise.all(logins.map((login) => context.tokenFor(login)));
  const count = Math.max(engines, Math.ceil(events / perSession));
  const plan: PreparedSession[][] = logins.map(() => []);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const engine = i % engines;
    const session = prepareSession(
      `${tag}-${i.toString().padStart(4, '0')}`,
      i % 2 === 0 ? 'anthropic' : 'postgres',
      logins[engine]!,
      perSession,
      batch,
    );
    for (const body of session.bodies) bytes += Buffer.byteLength(body);
    plan[engine]!.push(session);
  }
  const server0 = context.serverCpuMicros();
  const postgres0 = context.postgresCpuMicros();
  const generator0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  const retries = await Promise.all(
    plan.map((sessions, i) => runEngine(context.server.url, tokens[i]!, sessions)),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const generator = process.cpuUsage(generator0);
  const result: LevelResult = {
    engines,
    events: count * perSession,
    bytes,
    seconds,
    serverCpuMicros: context.serverCpuMicros() - server0,
    postgresCpuMicros: context.postgresCpuMicros() - postgres0,
    generatorCpuMicros: generator.user + generator.system,
    retries: retries.reduce((a, b) => a + b, 0),
  };
  await verifyStored(context, tag, count, perSession);
  return result;
}

/** Every session of the level is stored whole: `sessions` rows at head `perSession`, each event once. */
async function verifyStored(context: ServerBenchContext, tag: string, sessions: number, perSession: number) {
  const client = new pg.Client({ connectionString: context.databaseUrl });
  await client.connect();
  try {
    const heads = await client.query<{ n: number; complete: number }>(
      'SELECT count(*)::int AS n, count(*) FILTER (WHERE head_seq = $2)::int AS complete FROM sessions WHERE id LIKE $1',
      [`${tag}-%`, perSession],
    );
    const stored = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM events WHERE session_id LIKE $1',
      [`${tag}-%`],
    );
    const { n, complete } = heads.rows[0]!;
    if (n !== sessions || complete !== sessions || stored.rows[0]!.n !== sessions * perSession)
      throw new Error(
        `${tag}: expected ${sessions} sessions of ${perSession} events; the server holds ${n} sessions (${complete} complete) and ${stored.rows[0]!.n} events`,
      );
  } finally {
    await client.end();
  }
}

/** Events/s two cores could ingest if they ran only the server and PostgreSQL, from the measured CPU per event. */
function ceiling(r: LevelResult): number {
  return Math.round((2_000_000 * r.events) / (r.serverCpuMicros + r.postgresCpuMicros));
}

async function run(context: ServerBenchContext): Promise<void> {
  const levels = (process.env.BENCH_ENGINES ?? '1,4,16').split(',').map(Number);
  const events = Number(process.env.BENCH_EVENTS ?? 40_000);
  // Tokens first (device sign-ins), then a warm-up the report leaves out (JIT, pool, PostgreSQL caches).
  await Promise.all(
    levels.flatMap((n) => Array.from({ length: n }, (_, i) => context.tokenFor(`engine-${i + 1}`))),
  );
  await runLevel(context, 2, 4_000, `warm-${Date.now().toString(36)}`);
  const results: LevelResult[] = [];
  for (const engines of levels) {
    results.push(await runLevel(context, engines, events, `n${engines}-${Date.now().toString(36)}`));
  }
  context.log(
    '| engines | events | MB sent | seconds | events/s | server CPU µs/event | PostgreSQL CPU µs/event | load generator CPU µs/event | 2-core ceiling events/s | retries |',
  );
  context.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    context.log(
      `| ${r.engines} | ${r.events} | ${(r.bytes / 1e6).toFixed(1)} | ${r.seconds.toFixed(2)} | ${Math.round(r.events / r.seconds)} | ${(r.serverCpuMicros / r.events).toFixed(1)} | ${(r.postgresCpuMicros / r.events).toFixed(1)} | ${(r.generatorCpuMicros / r.events).toFixed(1)} | ${ceiling(r)} | ${r.retries} |`,
    );
  }
  context.log('Every level verified: each session stored whole, each event once (counted in PostgreSQL).');
  context.log(
    `Load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(
        ' ',
      )}. The 2-core ceiling is 2 s of CPU per second over the server's and PostgreSQL's CPU per event: what two cores given to them alone could ingest; events/s is what this run got on a machine shared with the load generator and whatever else runs.`,
  );
  const best = results.reduce((a, b) => (b.events / b.seconds > a.events / a.seconds ? b : a));
  context.headline([
    ...results.map((r) => ({
      what: `ingest, ${r.engines} engine${r.engines === 1 ? '' : 's'}`,
      value: `${Math.round(r.events / r.seconds)} events/s (2-core ceiling ${ceiling(r)}), server ${(r.serverCpuMicros / r.events).toFixed(1)} µs CPU/event, PostgreSQL ${(r.postgresCpuMicros / r.events).toFixed(1)}`,
      target: r === best ? `≥ ${TARGET_EVENTS_PER_SECOND} events/s` : undefined,
    })),
  ]);
}

/** The ingest section of `npm run bench:server`. */
export const ingestSection: ServerBenchSection = {
  name: 'ingest',
  description: 'N engines (1, 4, 16) posting real hash chains in batches: events/s, CPU per event',
  run,
};
