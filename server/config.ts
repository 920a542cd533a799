/**
 * The team server's configuration, from flags and environment (`glassbox-server --help`). Validated once at
 * start; every field is read-only afterwards.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/** Everything `glassbox-server` needs to run. */
export interface ServerConfig {
  /** TCP port (default 8790). */
  port: number;
  /** Listening address (default 127.0.0.1; `0.0.0.0` behind a load balancer). */
  host: string;
  /** The team's PostgreSQL; undefined: an embedded PostgreSQL under {@link ServerConfig.dataDir}. */
  databaseUrl: string | undefined;
  /** Where the embedded PostgreSQL keeps its cluster (absolute). */
  dataDir: string;
  /** The OIDC issuer whose tokens are accepted (exact `iss`). */
  issuer: string;
  /** The `aud` access tokens must carry (with `token: 'id_token'`: the client id). */
  audience: string;
  /** The public client engines and the dashboard sign in with. */
  clientId: string;
  /** Which token clients send: JWT access tokens (default) or ID tokens for providers with opaque access tokens. */
  token: 'access_token' | 'id_token';
  /** The claim holding the person's groups. */
  groupsClaim: string;
  /** Members of this group read everyone's sessions (default `auditors`). */
  auditorsGroup: string;
  /** Groups approvals may be routed to; empty: any group (a routed request names its group). */
  approverGroups: string[];
  /** Delete sessions whose last event is older than this many days; undefined keeps everything. */
  retentionDays: number | undefined;
  /** The URL people reach this server at (for the dashboard's sign-in redirect); default http://host:port. */
  publicUrl: string | undefined;
  /**
   * Key material (≥ 32 characters) sealing the dashboard's session cookies; the same on every instance behind
   * one URL. Undefined: a random key per process (dashboard sign-ins end at a restart).
   */
  sessionSecret: string | undefined;
  /** A policy.json document served to engines as the team policy (absolute); undefined: none served. */
  teamPolicy: string | undefined;
  /** pino log level. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const ConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  dataDir: z.string().min(1),
  issuer: z.url('must be the OIDC issuer URL, e.g. https://login.example.com/realms/acme'),
  audience: z.string().min(1).optional(),
  clientId: z.string().min(1),
  token: z.enum(['access_token', 'id_token']),
  groupsClaim: z.string().min(1),
  auditorsGroup: z.string().min(1),
  approverGroups: z.array(z.string().min(1)),
  retentionDays: z.coerce.number().int().positive().optional(),
  publicUrl: z.url().optional(),
  sessionSecret: z
    .string()
    .min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)')
    .optional(),
  teamPolicy: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

/** Raw settings as flags and environment give them (strings), before validation. */
export type RawServerConfig = Partial<Record<keyof ServerConfig, unknown>>;

/**
 * Validates and completes the configuration.
 * @throws ServerConfigError naming the setting and what to do
 */
export function parseServerConfig(raw: RawServerConfig, cwd = process.cwd()): ServerConfig {
  const parsed = ConfigSchema.safeParse({
    port: raw.port ?? 8790,
    host: raw.host ?? '127.0.0.1',
    databaseUrl: raw.databaseUrl || undefined,
    dataDir: raw.dataDir ?? './glassbox-server-data',
    issuer: raw.issuer,
    audience: raw.audience || undefined,
    clientId: raw.clientId ?? 'glassbox',
    token: raw.token ?? 'access_token',
    groupsClaim: raw.groupsClaim ?? 'groups',
    auditorsGroup: raw.auditorsGroup ?? 'auditors',
    approverGroups: raw.approverGroups ?? [],
    retentionDays: raw.retentionDays || undefined,
    publicUrl: raw.publicUrl || undefined,
    sessionSecret: raw.sessionSecret || undefined,
    teamPolicy: raw.teamPolicy || undefined,
    logLevel: raw.logLevel ?? 'info',
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ServerConfigError(`${FLAG[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`);
  }
  const c = parsed.data;
  if (c.token === 'access_token' && !c.audience)
    throw new ServerConfigError(
      '--audience: set the audience your provider puts in access tokens for this server (often its URL), or --token id_token',
    );
  const issuer = c.issuer.replace(/\/+$/, '');
  if (new URL(issuer).protocol !== 'https:' && !isLoopbackUrl(issuer))
    throw new ServerConfigError('--issuer: must be https (http only on 127.0.0.1, ::1 or localhost)');
  return {
    ...c,
    issuer,
    audience: c.token === 'id_token' ? c.clientId : c.audience!,
    dataDir: isAbsolute(c.dataDir) ? c.dataDir : resolve(cwd, c.dataDir),
    databaseUrl: c.databaseUrl,
    retentionDays: c.retentionDays,
    publicUrl: c.publicUrl?.replace(/\/+$/, ''),
    sessionSecret: c.sessionSecret,
    teamPolicy: c.teamPolicy && (isAbsolute(c.teamPolicy) ? c.teamPolicy : resolve(cwd, c.teamPolicy)),
  };
}

/** A setting is missing or wrong; the message names the flag and the fix. */
export class ServerConfigError extends Error {
  override name = 'ServerConfigError';
}

const FLAG: Record<string, string> = {
  port: '--port',
  host: '--host',
  databaseUrl: 'DATABASE_URL',
  dataDir: '--data-dir',
  issuer: '--issuer',
  audience: '--audience',
  clientId: '--client-id',
  token: '--token',
  groupsClaim: '--groups-claim',
  auditorsGroup: '--auditors-group',
  approverGroups: '--approver-group',
  retentionDays: '--retention-days',
  publicUrl: '--public-url',
  sessionSecret: 'GLASSBOX_SERVER_SESSION_SECRET',
  teamPolicy: '--team-policy',
  logLevel: '--log-level',
};

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === '[::1]' || host === 'localhost';
}
