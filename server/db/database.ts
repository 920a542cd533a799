/**
 * The server's PostgreSQL: a connection pool and the numbered migrations (server/migrations/NNNN_*.sql, run
 * by node-pg-migrate at start). Two instances starting together on one database migrate once: the second
 * waits on node-pg-migrate's advisory lock (`advisoryLockMode: 'wait'`; the default 'fail' would crash it).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

/**
 * The migrations directory: server/migrations, found from this module both in the source tree
 * (server/db/) and when built (dist/server/db/; tsc does not copy .sql files).
 */
export const MIGRATIONS_DIR = [
  new URL('../migrations', import.meta.url),
  new URL('../../../server/migrations', import.meta.url),
]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(dir))!;

// bigint columns (seq, µs times) as JS numbers: every value the server stores is below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Longest a statement of the pool may run (ms). */
export const STATEMENT_TIMEOUT_MS = 15_000;

/** A minimal logger (pino's shape). */
export interface DbLog {
  warn(object: object, message: string): void;
  info(object: object, message: string): void;
}

/**
 * Opens a pool on `databaseUrl`. An idle client's failure (the database restarting: 57P01) is logged, never
 * thrown: without the `error` listener it would end the process.
 */
export function openPool(databaseUrl: string, log: DbLog, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: 'glassbox-server',
    // No request may hold a connection for long: a search a person can make slow (a common word, again and
    // again) is cancelled (57014, answered 503) instead of starving ingest. Migrations use their own connection.
    statement_timeout: STATEMENT_TIMEOUT_MS,
  });
  pool.on('error', (error) => log.warn({ err: error }, 'an idle PostgreSQL connection failed'));
  return pool;
}

/**
 * Applies the migrations not yet applied, each in its own transaction, waiting for another instance that is
 * migrating the same database.
 * @returns the names of the migrations applied now
 * @throws the database's error (unreachable, permission denied, a failing migration)
 */
export async function migrate(databaseUrl: string, log: DbLog): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'glassbox_migrations',
    advisoryLockMode: 'wait',
    checkOrder: true,
    log: () => undefined,
  });
  const names = applied.map((migration) => migration.name);
  if (names.length > 0) log.info({ migrations: names }, 'database migrated');
  return names;
}

/**
 * Runs `work` in one transaction on a client of `pool` (BEGIN … COMMIT; ROLLBACK when it throws).
 * @throws what `work` or the database threw
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
