/**
 * `npm run bench:server`: the team server under load, with real parts — Debian's PostgreSQL as the team
 * database, the real OIDC provider issuing JWT access tokens, and the `glassbox-server` bin (built by
 * `npm run build`). Each section (test/bench/server/*.ts, listed in SECTIONS) runs against the same server
 * and database and prints its own table; the headline figures come together at the end.
 *
 * Environment: BENCH_SECTIONS=ingest,… (default all), BENCH_SECONDS (default 8), BENCH_CPU_PROF_DIR=dir
 * profiles the server (node --cpu-prof; the profile is written when it stops), BENCH_SUMMARY_FILE (summary.ts).
 * Each section reads its own settings (ingest.ts: BENCH_ENGINES, BENCH_EVENTS, BENCH_BATCH).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startOidcProvider } from '../helpers/oidc-provider.js';
import { startPostgres } from '../helpers/postgres.js';
import { accessTokenFor, spawnTeamServer, TEAM_AUDIENCE } from '../helpers/team-server.js';
import type { ServerBenchContext, ServerBenchSection } from './server/context.js';
import { ingestSection } from './server/ingest.js';
import { mirrorLagSection } from './server/mirror-lag.js';
import { searchSection } from './server/search.js';
import { type HeadlineFigure, reportHeadlines } from './summary.js';

/** The sections, in the order they run. Add yours here (see test/bench/README.md). */
const SECTIONS: ServerBenchSection[] = [ingestSection, searchSection, mirrorLagSection];

/** Clock ticks per second of /proc/PID/stat's times (`getconf CLK_TCK`: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** utime, stime, cutime, cstime of a process, in ticks; zeros when it is gone. */
function cpuTicks(pid: number): [number, number, number, number] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ": field 3 is the state.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(fields[11]), Number(fields[12]), Number(fields[13]), Number(fields[14])];
  } catch {
    return [0, 0, 0, 0];
  }
}

function parentOf(pid: string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

const ticksToMicros = (ticks: number) => (ticks * 1_000_000) / TICKS_PER_SECOND;

async function main(): Promise<void> {
  const picked = process.env.BENCH_SECTIONS?.split(',').filter(Boolean);
  const sections = picked ? SECTIONS.filter((s) => picked.includes(s.name)) : SECTIONS;
  if (sections.length === 0)
    throw new Error(
      `no section named ${picked?.join(', ')}; there are ${SECTIONS.map((s) => s.name).join(', ')}`,
    );
  const seconds = Number(process.env.BENCH_SECONDS ?? 8);
  const profileDir = process.env.BENCH_CPU_PROF_DIR;

  const pg = await startPostgres();
  const provider = await startOidcProvider({
    apiResource: { indicator: TEAM_AUDIENCE },
    ttl: { AccessToken: 3600, IdToken: 3600 },
  });
  const server = await spawnTeamServer({
    databaseUrl: pg.superuserUrl,
    issuer: provider.issuer,
    logLevel: 'info',
    nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
  });
  const postmaster = Number(readFileSync(`${pg.dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  const tokens = new Map<string, Promise<string>>();
  const headlines: HeadlineFigure[] = [];
  const context: ServerBenchContext = {
    server,
    databaseUrl: pg.superuserUrl,
    pg,
    provider,
    seconds,
    tokenFor(login) {
      let token = tokens.get(login);
      if (!token) {
        token = accessTokenFor(provider, login);
        tokens.set(login, token);
      }
      return token;
    },
    serverCpuMicros() {
      const [user, system] = cpuTicks(server.child.pid!);
      return ticksToMicros(user + system);
    },
    postgresCpuMicros() {
      const [user, system, children, childrenSystem] = cpuTicks(postmaster);
      let ticks = user + system + children + childrenSystem;
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry) || parentOf(entry) !== postmaster) continue;
        const [u, s] = cpuTicks(Number(entry));
        ticks += u + s;
      }
      return ticksToMicros(ticks);
    },
    log: (line) => process.stdout.write(`${line}\n`),
    headline: (figures) => headlines.push(...figures),
  };
  console.log(
    `bench:server — glassbox-server ${server.url} on PostgreSQL ${pg.port} (${pg.binDir}); load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const section of sections) console.log(`  ${section.name}: ${section.description}`);
  try {
    for (const section of sections) {
      console.log(`\n## ${section.name}`);
      await section.run(context);
    }
  } finally {
    await server.stop();
    await provider.close();
    await pg.stop();
  }
  console.log('\n## Headline figures');
  for (const { what, value, target } of headlines)
    console.log(`  ${what}: ${value}${target ? ` (target ${target})` : ''}`);
  reportHeadlines('server', headlines);
  if (profileDir) console.log(`\nServer CPU profile written to ${profileDir}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
