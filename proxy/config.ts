import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from './common/errors.js';
import { IdentitySettingsSchema } from './identity/settings.js';
import { TeamSettingsSchema } from './sync/settings.js';

const port = z.number().int().min(0).max(65_535);

/** Connection names: also the user name clients log in with, so kept to plain identifiers. */
export const CONNECTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

/** How Glassbox talks TLS to an upstream PostgreSQL server (libpq's sslmode values). */
export const UPSTREAM_TLS_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const;

/**
 * A web origin (scheme, host, port; no path), e.g. http://localhost:3000, stored as `URL.origin` spells it
 * (lower-case, default port left out), which is how browsers send it in the Origin header.
 */
const webOrigin = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
      return /^https?:$/.test(url.protocol) && bare;
    } catch {
      return false;
    }
  }, 'must be a web origin such as http://localhost:3000 (scheme, host and port; no path)')
  .transform((value) => new URL(value).origin);

/** One PostgreSQL connection as stored in config.json. */
export const PgConnectionSchema = z
  .object({
    /** Upstream host, port, user and database (no password). */
    host: z.string().min(1),
    port: port.default(5432),
    user: z.string().min(1),
    /** The default database: the upstream URL's, served always and to clients that name none. */
    database: z.string().min(1),
    /**
     * Other databases clients may open through this connection: names, or "*" for any the upstream role may
     * open. Absent (every config.json written before it existed) means only `database`.
     */
    databases: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]).optional(),
    /** Local port clients connect to on 127.0.0.1. */
    listen: port,
    upstreamTls: z.enum(UPSTREAM_TLS_MODES).default('prefer'),
    /** CA certificate file for verify-full (default: the system's CAs). */
    upstreamCa: z.string().optional(),
  })
  .strict();

/** A PostgreSQL connection's stored settings. */
export type PgConnectionConfig = z.infer<typeof PgConnectionSchema>;

/** The shape of `$GLASSBOX_HOME/config.json`; every field is optional and defaults as DESIGN.md says. */
export const ConfigSchema = z
  .object({
    anthropic: z
      .object({
        port: port.default(8787),
        upstream: z.url({ protocol: /^https?$/ }).default('https://api.anthropic.com'),
        /** Largest request body accepted, bytes. */
        maxRequestBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024),
        /**
         * Origins whose web pages may use the proxy (e.g. a local web app calling the API from the browser);
         * every other request a browser marks as coming from a page is refused. Non-browser clients are not
         * affected.
         */
        allowedOrigins: z.array(webOrigin).default([]),
        /** Longest a request body may take to arrive in full, ms; one trickling in is refused after it. */
        requestBodyTimeoutMs: z.number().int().positive().default(60_000),
        /** Bytes of request bodies still arriving, summed over all requests; more is refused until some end. */
        maxPendingRequestBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024),
        /** Longest the upstream may take to accept a connection (TCP, and TLS for https), ms. */
        upstreamConnectTimeoutMs: z.number().int().positive().default(10_000),
        /**
         * Longest the upstream may take from a forwarded request to its response head, ms. A non-streamed
         * reply's head comes only when the whole reply is ready, so the default is the SDKs' own 10 minutes.
         */
        upstreamHeadersTimeoutMs: z.number().int().positive().default(600_000),
      })
      .strict()
      .prefault({}),
    api: z
      .object({ port: port.default(8789) })
      .strict()
      .prefault({}),
    recording: z
      .object({
        /** Largest body stored per request or reply, bytes; larger ones are stored truncated with a marker. */
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024),
        /** Interval between durable checkpoints of a streaming reply, ms. */
        checkpointIntervalMs: z.number().int().min(1).max(10_000).default(50),
        /** Result rows kept per PostgreSQL statement. */
        sampleRows: z.number().int().min(0).max(1_000).default(20),
      })
      .strict()
      .prefault({}),
    postgres: z
      .object({
        /** PostgreSQL connections by name; passwords live in the credential vault, never here. */
        connections: z.record(z.string().regex(CONNECTION_NAME), PgConnectionSchema).default({}),
        /** A certificate and key (PEM files) to offer TLS to clients; without it SSLRequest is declined. */
        tls: z
          .object({ cert: z.string().min(1), key: z.string().min(1) })
          .strict()
          .optional(),
        /** Limits on client connections that have not logged in yet (proxy/postgres/pre-auth.ts). */
        preAuth: z
          .object({
            /** Connections per listener still before login; the next is refused (53300). */
            maxPending: z.number().int().min(1).max(100_000).default(64),
            /** Time from connect to logged in, ms. */
            timeoutMs: z.number().int().min(100).max(600_000).default(15_000),
            /** Failed logins per client address per minute before its logins are refused for a while. */
            maxFailedLoginsPerMinute: z.number().int().min(1).max(1_000_000).default(30),
            /** CancelRequests per client address per minute before more are dropped. */
            maxCancelsPerMinute: z.number().int().min(1).max(1_000_000).default(120),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * Prices for models the built-in table does not know, by model-name prefix, in US dollars per million
     * tokens, e.g. { "claude-next-6": { "input": 5, "output": 25, "cacheRead": 0.25 } }; cache rates left out
     * (cacheRead, cacheWrite5m, cacheWrite1h) are 0.1×, 1.25× and 2× the input price.
     */
    prices: z
      .record(
        z.string().min(1),
        z
          .object({
            input: z.number().nonnegative(),
            output: z.number().nonnegative(),
            cacheRead: z.number().nonnegative().optional(),
            cacheWrite5m: z.number().nonnegative().optional(),
            cacheWrite1h: z.number().nonnegative().optional(),
          })
          .strict(),
      )
      .default({}),
    /** How long a clean shutdown waits for in-flight exchanges, ms. */
    shutdownGraceMs: z.number().int().min(0).max(600_000).default(5_000),
    /** Sign-in with the company's OIDC provider (proxy/identity/settings.ts); absent: not configured. */
    identity: IdentitySettingsSchema.optional(),
    /** The team server this engine mirrors to (proxy/sync/settings.ts); absent: no team server. */
    team: TeamSettingsSchema.optional(),
  })
  .strict();

/** Fully defaulted configuration. */
export type Config = z.infer<typeof ConfigSchema>;

/** Command-line overrides of the configuration (`glassbox serve` flags). */
export interface ConfigOverrides {
  anthropicPort?: number;
  apiPort?: number;
  anthropicUpstream?: string;
}

/** `$GLASSBOX_HOME`, else `~/.glassbox`. */
export function glassboxHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.GLASSBOX_HOME?.trim() || join(homedir(), '.glassbox');
}

/** Well-known files under the data directory. */
export function homePaths(home: string) {
  return {
    home,
    database: join(home, 'glassbox.db'),
    /** The store's write-ahead journal (proxy/store/journal.ts); written only by the engine. */
    journal: join(home, 'journal'),
    config: join(home, 'config.json'),
    token: join(home, 'token'),
    lock: join(home, 'engine.pid'),
    /** The running engine's addresses and applied configuration (proxy/runtime-file.ts). */
    runtime: join(home, 'engine.json'),
    vault: join(home, 'vault.json'),
    /** The policy document (proxy/policy/document.ts); absent means the built-in default policy. */
    policy: join(home, 'policy.json'),
    /** The last team policy fetched from the team server (proxy/sync/team-policy-sync.ts), applied offline too. */
    teamPolicy: join(home, 'team-policy.json'),
    /** The installation's key for the `hash` masking action (proxy/policy/masking/mask-key.ts). */
    maskKey: join(home, 'mask.key'),
    /** The non-secret sign-in state (proxy/identity/sign-in-state.ts); never a token. */
    identity: join(home, 'identity.json'),
    /** Tokens when no keychain holds them (proxy/identity/token-store.ts), 0600; `.sealed` when the desktop app's key seals them. */
    tokens: join(home, 'tokens.json'),
    /** The lock only one process refreshing the tokens holds (proxy/identity/refresh.ts). */
    identityLock: join(home, 'identity.lock'),
  };
}

/**
 * Reads and validates `config.json` (absent means all defaults) and applies command-line overrides.
 * @throws UserError naming the file, the field and what to change when something is invalid.
 */
export function loadConfig(home: string, overrides: ConfigOverrides = {}): Config {
  const file = homePaths(home).config;
  let raw: unknown = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new UserError(
        `${file} is not valid JSON (${(error as Error).message}). Fix it or delete it to use defaults.`,
      );
    }
  }
  const fromFile = parse(raw, `${file}`);
  const merged = {
    ...fromFile,
    anthropic: {
      ...fromFile.anthropic,
      ...(overrides.anthropicPort !== undefined && { port: overrides.anthropicPort }),
      ...(overrides.anthropicUpstream !== undefined && { upstream: overrides.anthropicUpstream }),
    },
    api: { ...fromFile.api, ...(overrides.apiPort !== undefined && { port: overrides.apiPort }) },
  };
  return parse(merged, 'the command-line flags');
}

function parse(value: unknown, source: string): Config {
  const result = ConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.') || '(top level)';
    return `  ${path}: ${issue.message}`;
  });
  throw new UserError(`Invalid configuration in ${source}:\n${problems.join('\n')}`);
}

/**
 * Parses a TCP port given on the command line.
 * @throws UserError for anything but an integer 0–65535
 */
export function parsePort(value: string, flag: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65_535) {
    throw new UserError(`${flag} must be a port number from 0 to 65535 (got "${value}")`);
  }
  return number;
}
