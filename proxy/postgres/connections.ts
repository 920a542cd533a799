import { randomBytes } from 'node:crypto';
import { UserError } from '../common/errors.js';
import {
  CONNECTION_NAME,
  type Config,
  loadConfig,
  type PgConnectionConfig,
  UPSTREAM_TLS_MODES,
} from '../config.js';
import { editConfig } from '../config-edit.js';
import type { CredentialVault } from '../identity/vault.js';
import { parseDatabasesOption, servedList } from './databases.js';

/** First local port handed out to PostgreSQL connections (DESIGN.md "Defaults"). */
export const FIRST_PG_PORT = 6432;

/** Vault keys of a connection's secrets. */
export const vaultKeys = (name: string) => ({
  upstreamPassword: `pg:${name}:upstream-password`,
  localPassword: `pg:${name}:local-password`,
});

/** A connection with its secrets, as the proxy needs it. */
export interface PgConnection extends PgConnectionConfig {
  name: string;
  /** The password Glassbox presents upstream; undefined for trust / no password. */
  upstreamPassword: string | undefined;
  /** The password clients present to Glassbox. */
  localPassword: string;
}

/** What `glassbox pg list` shows: never the upstream password. */
export interface PgConnectionSummary {
  name: string;
  /** postgres://NAME:LOCALSECRET@127.0.0.1:PORT/DATABASE, what clients use. */
  url: string;
  listen: number;
  upstream: string;
  upstreamTls: PgConnectionConfig['upstreamTls'];
  /** Databases clients may open: the default (the upstream URL's) first, then the others; or "*" for any. */
  databases: string[] | '*';
}

/** `glassbox pg add`'s options besides the name and upstream URL. */
export interface AddConnectionOptions {
  listen?: number;
  upstreamTls?: string;
  upstreamCa?: string;
  /** `--databases`: comma-separated names, or `*` (default: only the upstream URL's database). */
  databases?: string;
  /** The upstream password when it is not in the URL (from stdin, a prompt, PGPASSWORD or a password file). */
  upstreamPassword?: string;
}

/** A new connection, checked and ready to save: its config.json entry and its upstream password. */
export interface NewConnection {
  name: string;
  entry: PgConnectionConfig;
  /** From the URL, else from `options.upstreamPassword`; undefined for none (trust, peer). */
  upstreamPassword: string | undefined;
}

/**
 * Adds a connection: settings (without password) to config.json, the upstream password and a newly generated
 * local password to the vault.
 * @throws UserError for a bad name or URL, a name already taken, or a listen port already used
 */
export function addConnection(
  home: string,
  vault: CredentialVault,
  name: string,
  upstreamUrl: string,
  options: AddConnectionOptions = {},
): PgConnectionSummary {
  return saveConnection(home, vault, prepareConnection(home, name, upstreamUrl, options));
}

/**
 * Checks a connection to add against config.json and builds its entry, writing nothing.
 * @throws UserError for a bad name, URL or --databases, a name already taken, or a listen port already used
 */
export function prepareConnection(
  home: string,
  name: string,
  upstreamUrl: string,
  options: AddConnectionOptions = {},
): NewConnection {
  if (!CONNECTION_NAME.test(name)) {
    throw new UserError(
      `connection name "${name}" must start with a letter and use only letters, digits, _ and - (max 63)`,
    );
  }
  const config = loadConfig(home);
  if (config.postgres.connections[name]) throw new UserError(existsMessage(name));
  const upstream = parseUpstreamUrl(upstreamUrl);
  const tls = options.upstreamTls ?? upstream.sslmode ?? 'prefer';
  if (!(UPSTREAM_TLS_MODES as readonly string[]).includes(tls)) {
    throw new UserError(`--upstream-tls must be one of ${UPSTREAM_TLS_MODES.join(', ')} (got "${tls}")`);
  }
  const used = new Set(Object.values(config.postgres.connections).map((c) => c.listen));
  if (options.listen !== undefined && used.has(options.listen)) {
    throw new UserError(
      `port ${options.listen} is already used by another connection; pick another with --listen`,
    );
  }
  let listen = options.listen ?? FIRST_PG_PORT;
  while (options.listen === undefined && used.has(listen)) listen++;
  const databases =
    options.databases === undefined ? undefined : parseDatabasesOption(options.databases, upstream.database);
  const entry: PgConnectionConfig = {
    host: upstream.host,
    port: upstream.port,
    user: upstream.user,
    database: upstream.database,
    ...(databases ? { databases } : {}),
    listen,
    upstreamTls: tls as PgConnectionConfig['upstreamTls'],
    ...(options.upstreamCa ? { upstreamCa: options.upstreamCa } : {}),
  };
  return { name, entry, upstreamPassword: upstream.password ?? options.upstreamPassword };
}

/**
 * Saves a prepared connection: its secrets to the vault first (a running engine reads them when config.json
 * changes), then its entry to config.json.
 */
export function saveConnection(
  home: string,
  vault: CredentialVault,
  { name, entry, upstreamPassword }: NewConnection,
): PgConnectionSummary {
  const keys = vaultKeys(name);
  if (upstreamPassword !== undefined) vault.set(keys.upstreamPassword, upstreamPassword);
  vault.set(keys.localPassword, randomBytes(18).toString('base64url'));
  editConfig(home, (raw) => {
    const postgres = (raw.postgres ?? {}) as { connections?: Record<string, unknown> };
    postgres.connections = { ...postgres.connections, [name]: entry };
    raw.postgres = postgres;
  });
  return summarise(name, entry, vault);
}

/** Removes a connection and its secrets. @throws UserError when there is none by that name */
export function removeConnection(home: string, vault: CredentialVault, name: string): void {
  const config = loadConfig(home);
  if (!config.postgres.connections[name])
    throw new UserError(`no connection named "${name}" (see \`glassbox pg list\`)`);
  editConfig(home, (raw) => {
    const connections = (raw.postgres as { connections: Record<string, unknown> }).connections;
    delete connections[name];
  });
  const keys = vaultKeys(name);
  vault.delete(keys.upstreamPassword);
  vault.delete(keys.localPassword);
}

/** Every configured connection as `pg list` shows it, by name. */
export function listConnections(config: Config, vault: CredentialVault): PgConnectionSummary[] {
  return Object.entries(config.postgres.connections)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => summarise(name, entry, vault));
}

/** Every configured connection with its secrets, for the engine. Missing local passwords are generated. */
export function loadConnections(config: Config, vault: CredentialVault): PgConnection[] {
  return Object.entries(config.postgres.connections).map(([name, entry]) => {
    const keys = vaultKeys(name);
    let localPassword = vault.get(keys.localPassword);
    if (!localPassword) {
      localPassword = randomBytes(18).toString('base64url');
      vault.set(keys.localPassword, localPassword);
    }
    return { ...entry, name, localPassword, upstreamPassword: vault.get(keys.upstreamPassword) };
  });
}

function summarise(name: string, entry: PgConnectionConfig, vault: CredentialVault): PgConnectionSummary {
  const secret = vault.get(vaultKeys(name).localPassword) ?? '';
  return {
    name,
    url: `postgres://${encodeURIComponent(name)}:${encodeURIComponent(secret)}@127.0.0.1:${entry.listen}/${encodeURIComponent(entry.database)}`,
    listen: entry.listen,
    upstream: `postgres://${encodeURIComponent(entry.user)}@${entry.host.includes(':') ? `[${entry.host}]` : entry.host}:${entry.port}/${encodeURIComponent(entry.database)}`,
    upstreamTls: entry.upstreamTls,
    databases: servedList({ ...entry, name }),
  };
}

/** Parts of a postgres:// or postgresql:// URL (the database defaults to the user name, as in libpq). */
export interface UpstreamUrl {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  sslmode: string | undefined;
}

/**
 * Parses `--upstream`.
 * @throws UserError for anything but a postgres:// URL with a host and a user (never echoing the text)
 */
export function parseUpstreamUrl(text: string): UpstreamUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Never echo the text: it holds the password. Characters such as # / @ in a password need percent-encoding.
    throw new UserError(
      '--upstream must be a URL like postgres://user:password@host:5432/database; percent-encode special characters in the password (e.g. @ as %40)',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UserError(`--upstream must start with postgres:// (got "${url.protocol}//")`);
  }
  if (!url.hostname)
    throw new UserError('--upstream needs a host, e.g. postgres://user:password@db.internal:5432/app');
  const user = decodeURIComponent(url.username);
  if (!user) throw new UserError('--upstream needs a user name, e.g. postgres://app_user:password@host/app');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 5432,
    user,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || user,
    sslmode: url.searchParams.get('sslmode') ?? undefined,
  };
}

/**
 * What `pg add` says when the name is taken: how to change the connection instead (an edit of config.json,
 * which a running engine applies at once, keeps the local password clients use; removing and adding again
 * makes a new one).
 */
export function existsMessage(name: string): string {
  return (
    `a connection named "${name}" exists. To change it, edit its entry under postgres.connections in ` +
    `config.json (a running engine applies it at once; clients keep their URL), or replace it: ` +
    `glassbox pg remove ${name}, then pg add again (clients then get a new local password)`
  );
}
