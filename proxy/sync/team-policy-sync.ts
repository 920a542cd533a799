/**
 * The engine's side of the team policy (issue 19, point 7): fetches `GET /v1/policy` from the team server at
 * start, at once on the server's live notice (`/v1/live` `{type: 'policy'}`, the engine's one
 * live connection, live-client.ts) and every
 * {@link TeamPolicySyncOptions.intervalMs} in case a notice was missed — with `If-None-Match` on the version
 * held, so an unchanged policy costs a 304. It validates what comes with the engine's own schema, caches it in
 * `$GLASSBOX_HOME/team-policy.json` (0600) so an offline start still applies the last team policy, and hands
 * each new valid version to the policy watcher, which applies it on top of policy.json (policy/team-layers.ts)
 * and records the change (`policy.changed`, via `team`). An invalid document from the server is refused with
 * one warning per version; the last good one stays.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { describeError } from '../common/errors.js';
import type { Component } from '../common/lifecycle.js';
import { homePaths } from '../config.js';
import type { EngineLog } from '../live-config.js';
import { PolicyError, parsePolicy } from '../policy/document.js';
import type { TeamPolicy } from '../policy/team-layers.js';
import { bearerHeaders, fetchFailure, readText } from './http.js';
import type { TeamLiveFeed } from './live-client.js';
import { type TeamPolicyResponse, TeamPolicyResponseSchema } from './protocol.js';
import { type TeamSettings, teamBaseUrl } from './settings.js';
import type { BearerSource } from './types.js';

/** How often the team policy is fetched by default, ms. */
export const TEAM_POLICY_INTERVAL_MS = 60_000;
/** How long one fetch may take, ms. */
const FETCH_TIMEOUT_MS = 15_000;

/** What {@link TeamPolicySync} needs. */
export interface TeamPolicySyncOptions {
  home: string;
  /** The team server's base URL (settings.ts `teamBaseUrl`). */
  url: string;
  /** The bearer token to send; undefined while signed out (nothing is fetched then). */
  bearer: BearerSource;
  /** The policy watcher (policy/watcher.ts): the version in force and how to apply a new one. */
  policy: { readonly teamVersion: number | null; applyTeam(team: TeamPolicy | null): Promise<unknown> };
  log: EngineLog;
  /** The server's live stream (live-client.ts), shared with the rest of the engine's team parts. */
  live: TeamLiveFeed;
  /** Between fetches, ms (default {@link TEAM_POLICY_INTERVAL_MS}). */
  intervalMs?: number;
}

/** The cache file's content: the server's answer as received. */
type CachedTeamPolicy = TeamPolicyResponse & { url: string };

/**
 * The team policy cached by the last successful fetch from `url`, or null when none (no file, another server,
 * an unreadable or invalid file — reported through `log`).
 */
export function readCachedTeamPolicy(home: string, url: string, log: EngineLog): TeamPolicy | null {
  const path = homePaths(home).teamPolicy;
  if (!existsSync(path)) return null;
  try {
    const cached = JSON.parse(readFileSync(path, 'utf8')) as CachedTeamPolicy;
    if (cached.url !== url || cached.policy === null) return null;
    const response = TeamPolicyResponseSchema.parse(cached);
    return toTeamPolicy(response, `${path} (team policy version ${response.version})`);
  } catch (error) {
    log(`Team policy: ignoring the cached team policy in ${path}: ${reason(error)}`, 'warn');
    return null;
  }
}

function toTeamPolicy(response: TeamPolicyResponse, source: string): TeamPolicy {
  return { version: response.version, raw: response.policy, document: parsePolicy(response.policy, source) };
}

function reason(error: unknown): string {
  return error instanceof PolicyError
    ? error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')
    : describeError(error);
}

/** Fetches, caches and applies the team policy (see the module comment). */
export class TeamPolicySync implements Component {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private refusedVersion: number | null = null;
  private lastProblem: string | null = null;
  private unfollow: (() => void) | undefined;

  constructor(private readonly options: TeamPolicySyncOptions) {}

  /**
   * Starts fetching (the first fetch at once, in the background: an offline server never delays the start),
   * and follows the server's live stream, fetching at once on its `{type: 'policy'}` notice.
   */
  start(): void {
    void this.refresh();
    this.unfollow = this.options.live.subscribe({
      onMessage: (message) => {
        if (message.type === 'policy' && message.version !== this.options.policy.teamVersion)
          void this.refresh();
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unfollow?.();
    await this.running;
  }

  /**
   * Fetches now (e.g. on the server's live `{type: 'policy'}` notice) and applies a new valid version.
   * Resolves when done; never rejects (problems are logged once each).
   */
  refresh(): Promise<void> {
    clearTimeout(this.timer);
    const step = this.running.then(() => this.fetchOnce()).catch(() => undefined);
    this.running = step.then(() => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.refresh(), this.options.intervalMs ?? TEAM_POLICY_INTERVAL_MS);
      this.timer.unref();
    });
    return step;
  }

  private async fetchOnce(): Promise<void> {
    if (this.stopped) return;
    const { url, bearer, policy, log } = this.options;
    const token = bearer.bearer();
    if (!token)
      return this.problem('not signed in to the team server; the cached team policy stays in force');
    const held = policy.teamVersion;
    let response: Response;
    try {
      response = await fetch(`${url}/v1/policy`, {
        headers: bearerHeaders(token, {
          accept: 'application/json',
          ...(held !== null ? { 'if-none-match': `"${held}"` } : {}),
        }),
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (error) {
      return this.problem(`cannot reach ${url} (${fetchFailure(error)}); the team policy in force stays`);
    }
    if (response.status === 304) return this.clearProblem();
    if (!response.ok)
      return this.problem(`${url}/v1/policy answered ${response.status}; the team policy in force stays`);
    const text = await readText(response);
    if (text === undefined)
      return this.problem(
        `${url}/v1/policy sent an answer over 16 MiB or cut short; the team policy in force stays`,
      );
    let answer: TeamPolicyResponse;
    try {
      answer = TeamPolicyResponseSchema.parse(JSON.parse(text));
    } catch (error) {
      return this.problem(`${url}/v1/policy sent an unreadable answer (${describeError(error)})`);
    }
    this.clearProblem();
    if (answer.policy === null) {
      if (held === null) return;
      rmSync(homePaths(this.options.home).teamPolicy, { force: true });
      await policy.applyTeam(null);
      return;
    }
    if (answer.version === held || answer.version === this.refusedVersion) return;
    let team: TeamPolicy;
    try {
      team = toTeamPolicy(answer, `the team policy version ${answer.version} from ${url}`);
    } catch (error) {
      this.refusedVersion = answer.version;
      log(
        `Team policy: refused version ${answer.version} from ${url}; the last good team policy (${held ?? 'none'}) stays. ${reason(error)}`,
        'warn',
      );
      return;
    }
    try {
      await policy.applyTeam(team);
    } catch (error) {
      log(`Team policy: version ${answer.version} not applied: ${describeError(error)}`, 'warn');
      return;
    }
    writeCache(homePaths(this.options.home).teamPolicy, { ...answer, url });
    log(`Team policy: version ${answer.version} from ${url} in force`, 'info');
  }

  private problem(message: string): void {
    if (message !== this.lastProblem) this.options.log(`Team policy: ${message}`, 'warn');
    this.lastProblem = message;
  }

  private clearProblem(): void {
    this.lastProblem = null;
  }
}

/**
 * The engine's team policy component for config.json's `team` section: `bearer` is the verified sign-in's
 * (the access token, or the ID token when `team.token` says so), `live` the engine's live connection; it
 * fetches every `$GLASSBOX_TEAM_POLICY_POLL_MS` ms (default {@link TEAM_POLICY_INTERVAL_MS}).
 */
export function teamPolicySync(options: {
  home: string;
  team: TeamSettings;
  bearer: BearerSource;
  live: TeamLiveFeed;
  policy: TeamPolicySyncOptions['policy'];
  log: EngineLog;
  env?: NodeJS.ProcessEnv;
}): TeamPolicySync {
  const { home, team, bearer, live, policy, log, env = process.env } = options;
  const pollMs = Number(env.GLASSBOX_TEAM_POLICY_POLL_MS);
  return new TeamPolicySync({
    home,
    url: teamBaseUrl(team),
    bearer,
    live,
    policy,
    log,
    intervalMs: Number.isFinite(pollMs) && pollMs > 0 ? pollMs : undefined,
  });
}

/** Writes the cache atomically, mode 0600. */
function writeCache(path: string, cached: CachedTeamPolicy): void {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, `${JSON.stringify(cached, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
