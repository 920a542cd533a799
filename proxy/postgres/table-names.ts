import { describeError } from '../common/errors.js';
import type { FieldDescription } from './backend-messages.js';
import { CatalogConnection } from './catalog-connection.js';
import type { UpstreamTarget } from './upstream.js';

/** A table as column rules name it: `schema.table`, and its columns by attribute number. */
export interface TableInfo {
  table: string;
  columns: Map<number, string>;
}

/** Limits of a {@link TableNames}; times in ms. */
export interface TableNamesOptions {
  /** How long a resolved name is trusted (a table or column may be renamed meanwhile). */
  ttlMs: number;
  /** Tables remembered; past this the cache starts afresh. */
  maxTables: number;
  /** Longest wait for one lookup, connecting included; a result's rows are held at most this long. */
  timeoutMs: number;
  /** After a failed lookup, how long lookups are not tried again (each would hold rows for `timeoutMs`). */
  retryMs: number;
  /** The side connection closes after this long unused. */
  idleMs: number;
}

export const DEFAULT_TABLE_NAMES_OPTIONS: TableNamesOptions = {
  ttlMs: 60_000,
  maxTables: 10_000,
  timeoutMs: 5_000,
  retryMs: 30_000,
  idleMs: 30_000,
};

/**
 * Resolves the table OIDs of RowDescription (PostgreSQL docs, 55.7 "Message Formats": each field's table OID
 * and attribute number) to `schema.table` and column names, for one connection's database, over a side
 * connection of its own ({@link CatalogConnection}, with the connection's vaulted credentials; never a
 * client's connection). Each OID is looked up once and cached for `ttlMs` (a DDL statement seen on the
 * connection clears the cache); lookups wanted at the same time share one catalog query; one request runs at
 * a time. A failed lookup is not retried for `retryMs`. Never throws: failures come back as messages.
 */
export class TableNames {
  private readonly cache = new Map<number, { info: TableInfo | null; at: number }>();
  private readonly pending = new Map<number, Promise<string | undefined>>();
  private chain: Promise<unknown> = Promise.resolve();
  private side: CatalogConnection | undefined;
  private idle: NodeJS.Timeout | undefined;
  private failedUntil = 0;
  private failure = '';
  private closed = false;

  constructor(
    private readonly target: UpstreamTarget,
    private readonly options: TableNamesOptions = DEFAULT_TABLE_NAMES_OPTIONS,
  ) {}

  /** The table of `oid` if known and fresh: its info, null when the catalog has no such table, else undefined. */
  cached(oid: number): TableInfo | null | undefined {
    const entry = this.cache.get(oid);
    if (!entry) return undefined;
    if (Date.now() - entry.at > this.options.ttlMs) {
      this.cache.delete(oid);
      return undefined;
    }
    return entry.info;
  }

  /**
   * Looks up the OIDs not cached. Settles (never rejects) when they are cached, with undefined, or with the
   * reason they could not be (then they stay unknown).
   */
  resolve(oids: Iterable<number>): Promise<string | undefined> {
    const waits: Array<Promise<string | undefined>> = [];
    const missing: number[] = [];
    for (const oid of new Set(oids)) {
      if (this.cached(oid) !== undefined) continue;
      const pending = this.pending.get(oid);
      if (pending) waits.push(pending);
      else missing.push(oid);
    }
    if (missing.length > 0) {
      const lookup = this.run((side) => this.fetch(side, missing));
      for (const oid of missing) this.pending.set(oid, lookup);
      void lookup.then(() => {
        for (const oid of missing) if (this.pending.get(oid) === lookup) this.pending.delete(oid);
      });
      waits.push(lookup);
    }
    return Promise.all(waits).then((reasons) => reasons.find((r) => r !== undefined));
  }

  /**
   * The columns `sql` would return (see {@link CatalogConnection.describe}), with their tables resolved; or
   * the reason they cannot be known.
   */
  async describe(sql: string): Promise<FieldDescription[] | string> {
    const described: { columns: FieldDescription[] | null } = { columns: null };
    const failed = await this.run(async (side) => {
      described.columns = await side.describe(sql, this.options.timeoutMs);
      return undefined;
    });
    if (failed !== undefined) return failed;
    const fields = described.columns ?? [];
    const unresolved = await this.resolve(fields.filter((f) => f.tableOid !== 0).map((f) => f.tableOid));
    return unresolved ?? fields;
  }

  /** Forgets every name (a DDL statement may have renamed a table or column). */
  invalidate(): void {
    this.cache.clear();
  }

  /**
   * Closes the side connection. `forever` (the proxy is stopping): later lookups fail at once; otherwise
   * (the connection's settings changed while sessions still use the old ones) they connect again if needed.
   */
  close(forever = true): void {
    this.closed ||= forever;
    clearTimeout(this.idle);
    this.side?.close();
    this.side = undefined;
  }

  /** Runs `work` on the side connection after the requests before it, connecting first if needed. */
  private run(work: (side: CatalogConnection) => Promise<string | undefined>): Promise<string | undefined> {
    const result = this.chain.then(async () => {
      if (this.closed) return 'the connection is closing';
      if (Date.now() < this.failedUntil) return this.failure;
      clearTimeout(this.idle);
      try {
        if (!this.side || this.side.closed)
          this.side = await CatalogConnection.open(this.target, this.options.timeoutMs);
        return await work(this.side);
      } catch (error) {
        this.side?.close();
        this.side = undefined;
        this.failure = `the catalog lookup failed: ${describeError(error)}`;
        this.failedUntil = Date.now() + this.options.retryMs;
        return this.failure;
      } finally {
        this.idle = setTimeout(() => this.closeIdle(), this.options.idleMs);
        this.idle.unref();
      }
    });
    this.chain = result;
    return result;
  }

  private closeIdle(): void {
    this.side?.close();
    this.side = undefined;
  }

  private async fetch(side: CatalogConnection, oids: number[]): Promise<undefined> {
    if (this.cache.size + oids.length > this.options.maxTables) this.cache.clear();
    // OIDs are unsigned integers read from RowDescription, so writing them into the text is safe.
    const rows = await side.query(
      'SELECT c.oid, n.nspname, c.relname, a.attnum, a.attname FROM pg_catalog.pg_class c ' +
        'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
        'LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ' +
        `WHERE c.oid = ANY ('{${oids.map((oid) => String(oid >>> 0)).join(',')}}'::pg_catalog.oid[])`,
      this.options.timeoutMs,
    );
    const at = Date.now();
    const found = new Map<number, TableInfo>();
    for (const [oid, schema, relname, attnum, attname] of rows) {
      const key = Number(oid);
      let info = found.get(key);
      if (!info) {
        info = { table: `${schema}.${relname}`, columns: new Map() };
        found.set(key, info);
      }
      if (typeof attnum === 'string' && typeof attname === 'string')
        info.columns.set(Number(attnum), attname);
    }
    for (const oid of oids) this.cache.set(oid, { info: found.get(oid) ?? null, at });
    return undefined;
  }
}

/**
 * The {@link TableNames} of every connection and database, made when first needed. A connection whose
 * settings changed gets a new one (the old one's side connection closes).
 */
export class TableNamesRegistry {
  private readonly byKey = new Map<string, { target: UpstreamTarget; names: TableNames }>();

  constructor(private readonly options: TableNamesOptions = DEFAULT_TABLE_NAMES_OPTIONS) {}

  /** The resolver for `connection`'s database `target.database`. */
  for(connection: string, target: UpstreamTarget): TableNames {
    const key = `${connection}\u0000${target.database}`;
    const known = this.byKey.get(key);
    if (known && sameTarget(known.target, target)) return known.names;
    known?.names.close(false);
    const names = new TableNames(target, this.options);
    this.byKey.set(key, { target, names });
    return names;
  }

  /** Closes the resolvers of a connection removed or changed. */
  forget(connection: string): void {
    for (const [key, { names }] of this.byKey) {
      if (key.startsWith(`${connection}\u0000`)) {
        names.close(false);
        this.byKey.delete(key);
      }
    }
  }

  /** Closes every side connection (the proxy is stopping). */
  closeAll(): void {
    for (const { names } of this.byKey.values()) names.close();
    this.byKey.clear();
  }
}

function sameTarget(a: UpstreamTarget, b: UpstreamTarget): boolean {
  return (
    a.host === b.host &&
    a.port === b.port &&
    a.user === b.user &&
    a.password === b.password &&
    a.tls === b.tls &&
    a.ca === b.ca
  );
}
