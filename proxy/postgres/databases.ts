import { UserError } from '../common/errors.js';
import type { PgConnectionConfig } from '../config.js';

/** What decides which databases a connection serves: its name, default database and `databases` list. */
export type ServedDatabases = Pick<PgConnectionConfig, 'database' | 'databases'> & { name: string };

/**
 * The upstream database a client's start-up `database` parameter opens through `connection`, or undefined
 * when the connection does not serve it. The default database and any listed one are served as named; the
 * connection's own name (libpq's default database is the user name, and clients log in as the connection)
 * means the default database unless it is listed itself; with `databases: "*"` any other name goes to the
 * upstream as given, which refuses what its role may not open.
 */
export function servedDatabase(connection: ServedDatabases, requested: string): string | undefined {
  const { database, databases, name } = connection;
  if (requested === database) return requested;
  if (Array.isArray(databases) && databases.includes(requested)) return requested;
  if (requested === name) return database;
  return databases === '*' ? requested : undefined;
}

/** True when a connection may open more than its default database. */
export function servesSeveral(connection: ServedDatabases): boolean {
  return connection.databases !== undefined;
}

/**
 * The `target` recorded for a session: the connection's name, followed by `/database` when the connection
 * serves several databases, so a recording says which one it used.
 */
export function sessionTarget(connection: ServedDatabases, requested: string): string {
  if (!servesSeveral(connection)) return connection.name;
  return `${connection.name}/${servedDatabase(connection, requested) ?? requested}`;
}

/** The databases a connection serves, for people: `"app"`, `"app", "reports"` or `any database …`. */
export function describeServed(connection: ServedDatabases): string {
  if (connection.databases === '*') return 'any database its upstream role may open';
  return [connection.database, ...(connection.databases ?? [])].map((db) => `"${db}"`).join(', ');
}

/**
 * The databases of a connection as `pg list --json` shows them: every served name (the default first), or
 * `"*"`.
 */
export function servedList(connection: ServedDatabases): string[] | '*' {
  return connection.databases === '*' ? '*' : [connection.database, ...(connection.databases ?? [])];
}

/**
 * Parses `--databases`: comma-separated names, or `*` alone. The default database is always served, so it is
 * dropped from the list; a list with nothing else left is `undefined` (the default alone).
 * @throws UserError for an empty name or `*` mixed with names
 */
export function parseDatabasesOption(
  value: string,
  defaultDatabase: string,
): PgConnectionConfig['databases'] | undefined {
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) {
    throw new UserError(`--databases takes comma-separated database names, or * for any (got "${value}")`);
  }
  if (names.includes('*')) {
    if (names.length > 1) throw new UserError('--databases * means any database; give it alone');
    return '*';
  }
  const others = [...new Set(names)].filter((name) => name !== defaultDatabase);
  return others.length > 0 ? others : undefined;
}
