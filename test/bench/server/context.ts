/**
 * What `npm run bench:server` (test/bench/server.ts) hands each of its sections: the real `glassbox-server`
 * bin running on Debian's PostgreSQL with a real OIDC provider, tokens for test logins, and CPU readings of
 * the server process and of PostgreSQL. A section is a module of test/bench/server/ exporting a
 * {@link ServerBenchSection}; the runner lists them (server.ts SECTIONS) and runs them in order on one
 * server and database, so a later section sees what earlier ones stored.
 */

import type { TestOidcProvider } from '../../helpers/oidc-provider.js';
import type { PgServer } from '../../helpers/postgres.js';
import type { ServerProcess } from '../../helpers/team-server.js';
import type { HeadlineFigure } from '../summary.js';

/** Shared by every section of the server benchmark. */
export interface ServerBenchContext {
  /** The server bin under test (`url`, `logs()`, `child.pid`). */
  server: ServerProcess;
  /** The team database (superuser URL): sections may read it to check what was stored, or seed it. */
  databaseUrl: string;
  pg: PgServer;
  provider: TestOidcProvider;
  /** A JWT access token for the server's audience for `login` (device flow; cached per login). */
  tokenFor(login: string): Promise<string>;
  /** CPU time the server process has used so far, µs (/proc/PID/stat utime + stime; 10 ms resolution). */
  serverCpuMicros(): number;
  /**
   * CPU time PostgreSQL has used so far, µs: the postmaster and every live backend (/proc/PID/stat utime +
   * stime, plus the postmaster's cutime + cstime for backends that have exited).
   */
  postgresCpuMicros(): number;
  /** Seconds a measured phase runs where a section measures by time (`BENCH_SECONDS`, default 8). */
  seconds: number;
  /** Prints a line of the report. */
  log(line: string): void;
  /** Headline figures, printed together at the end of the run (and to `BENCH_SUMMARY_FILE`). */
  headline(figures: HeadlineFigure[]): void;
}

/** One section of the server benchmark: `name` (what `BENCH_SECTIONS=a,b` picks) and what it runs. */
export interface ServerBenchSection {
  name: string;
  /** One line for the run's header. */
  description: string;
  run(context: ServerBenchContext): Promise<void>;
}
