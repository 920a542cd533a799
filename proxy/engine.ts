import { homedir } from 'node:os';
import { AnthropicProxy } from './anthropic/proxy.js';
import { recoveredSearchText } from './anthropic/request-body.js';
import { ApiServer } from './api/server.js';
import { ensureToken } from './api/token.js';
import { Lifecycle } from './common/lifecycle.js';
import { nowMicros } from './common/time.js';
import { glassboxVersion } from './common/version.js';
import { type Config, homePaths } from './config.js';
import {
  anthropicOptions,
  closeStore,
  every,
  fileConfig,
  listen,
  secureHomeAndSay,
  startFailure,
} from './engine-support.js';
import { IdentityComponent } from './identity/component.js';
import { IdentityController } from './identity/control.js';
import { openEngineVault } from './identity/sealed-vault.js';
import { type EngineLog, LiveConfig } from './live-config.js';
import { takeEngineLock } from './lock.js';
import { type ApprovalSettings, Approvals, DEFAULT_APPROVAL_SETTINGS } from './policy/approvals/broker.js';
import { drivingPrompt } from './policy/approvals/driving-prompt.js';
import { GuardComponent, type GuardParserLoaders } from './policy/guard/component.js';
import type { Guard } from './policy/guard/types.js';
import { RecordingSwitch } from './policy/recording-switch.js';
import { PolicyWatcher } from './policy/watcher.js';
import { listConnections, loadConnections } from './postgres/connections.js';
import type { PgGuardOptions } from './postgres/guard-gate.js';
import type { PgMaskingSource } from './postgres/masking.js';
import { PG_UNANSWERED } from './postgres/recorder.js';
import { PgProxy } from './postgres/server.js';
import { SEARCH_TEXT_VERSION } from './search/event-text.js';
import { ReindexThread } from './search/reindex-thread.js';
import { recoverInterrupted } from './store/recovery.js';
import { Store } from './store/store.js';
import type { Mirror } from './sync/mirror.js';
import { TeamComponents } from './sync/team-components.js';

/** What the engine needs to start. */
export interface EngineOptions {
  /** The data directory ($GLASSBOX_HOME). */
  home: string;
  config: Config;
  /** Listening address for every listener; loopback by design. */
  host?: string;
  /** Where lines about configuration changes applied while running go (default: nowhere). */
  log?: EngineLog;
  /** Where the engine's warnings go (permissions it tightened, the store failing); default stderr. */
  warn?: (message: string) => void;
  /**
   * The masking policy of the PostgreSQL proxy, read at each statement (postgres/masking.ts). Default: the
   * policy in force (policy.json, or the built-in default); tests may pass their own.
   */
  pgMasking?: PgMaskingSource;
  /**
   * How long approvals wait and how long a `session` approval lasts, read at each request and decision
   * (policy/approvals/broker.ts); default 5 and 15 minutes.
   */
  approvals?: () => ApprovalSettings;
  /**
   * The PostgreSQL proxy's guardrails (postgres/guard-gate.ts): the guard, the approval broker and the mode.
   * Default: the policy's guard rules, the engine's approval broker and the policy's `approvals.mode`; tests
   * may replace any of them.
   */
  pgGuard?: PgGuardOptions;
  /**
   * The guard the Claude Code hook's route asks (api/routes/guard.ts), read at each tool call. Default: the
   * policy's guard (undefined while guardrails are off); tests may pass their own.
   */
  guard?: () => Guard | undefined;
  /** How the guard loads its parsers (policy/guard/component.ts); default the real ones. Tests make one fail. */
  guardParsers?: GuardParserLoaders;
}

/** Addresses of a running engine, for printing and for tests. */
export interface EngineAddresses {
  anthropicUrl: string;
  apiUrl: string;
  /** The dashboard URL with the token in its fragment (never sent to the server in a request line). */
  dashboardUrl: string;
  token: string;
  database: string;
  /** PostgreSQL connections: name, the local URL clients use, and the upstream it leads to. */
  postgres: Array<{ name: string; url: string; upstream: string }>;
}

const IDLE_SWEEP_MS = 60_000;

/** The running parts an engine exposes, for the CLI, the desktop shell and tests. */
interface EngineParts {
  store: Store;
  anthropic: AnthropicProxy;
  api: ApiServer;
  postgres: PgProxy;
  /** The policy in force (`policy.current()`: the compiled policy the proxies mask with), kept up to date. */
  policy: PolicyWatcher;
  /** Applies config.json and vault changes while running. */
  live: LiveConfig;
  /** Operations held until a person decides (guardrails' `approve` rules). */
  approvals: Approvals;
  /** The live sign-in (identity.json, watched): each new session takes `identity.current()`. */
  identity: IdentityComponent;
  /** The team mirror (`mirror.status()`; `off` without config.json's `team`). */
  mirror: Mirror;
  /** Re-indexing sessions recorded by an older Glassbox for search, while that runs (see `done`). */
  reindex: ReindexThread | undefined;
  addresses: EngineAddresses;
  /** Sessions found live at start and marked interrupted. */
  recovered: number;
}

/**
 * The composition root: a list of components (proxy/common/lifecycle.ts), started in order and stopped in
 * reverse — the engine lock, the store (recovering what a dead engine left live), the approval broker, the live
 * sign-in (identity), the team server's live stream and routed approvals (sync/team-components.ts), the policy and
 * the team policy, the Anthropic proxy, the PostgreSQL proxy, the team mirror, the control API,
 * the idle sweep, the config watcher and, after an upgrade, the search re-index. Imports nothing from Electron: the same engine runs under `glassbox serve`, in tests and in the
 * desktop app's utility process.
 */
export class Engine implements EngineParts {
  readonly store: Store;
  readonly anthropic: AnthropicProxy;
  readonly api: ApiServer;
  readonly postgres: PgProxy;
  readonly policy: PolicyWatcher;
  readonly live: LiveConfig;
  readonly approvals: Approvals;
  readonly identity: IdentityComponent;
  readonly mirror: Mirror;
  readonly reindex: ReindexThread | undefined;
  readonly addresses: EngineAddresses;
  readonly recovered: number;

  private constructor(
    private readonly parts: Lifecycle,
    running: EngineParts,
  ) {
    this.store = running.store;
    this.anthropic = running.anthropic;
    this.api = running.api;
    this.postgres = running.postgres;
    this.policy = running.policy;
    this.live = running.live;
    this.approvals = running.approvals;
    this.identity = running.identity;
    this.mirror = running.mirror;
    this.reindex = running.reindex;
    this.addresses = running.addresses;
    this.recovered = running.recovered;
  }

  /**
   * Starts everything, or nothing: on failure whatever was started is stopped again.
   * @throws UserError for problems the user can fix (port in use, another engine running, bad config, a full
   *   disk)
   */
  static async start(options: EngineOptions): Promise<Engine> {
    const parts = new Lifecycle();
    try {
      return new Engine(parts, await parts.compose((list) => compose(list, options)));
    } catch (error) {
      throw startFailure(error, options.home);
    }
  }

  /**
   * Stops cleanly, in reverse order of start: the re-index and watchers, the control API, the PostgreSQL
   * proxy (FATAL 57P01 to its clients), the Anthropic proxy (in-flight exchanges may finish for
   * `shutdownGraceMs`, the rest are recorded as ended by shutdown), then the store (live sessions closed, the
   * journal applied, the WAL checkpointed) and the engine lock.
   * @throws the first error a step raised, after every step ran
   */
  stop(): Promise<void> {
    return this.parts.stopAll();
  }
}

/**
 * Builds and starts the engine's components, one `parts.add` each, in the order they depend on each other.
 * @throws whatever a step throws; the caller stops what was started
 */
async function compose(parts: Lifecycle, options: EngineOptions): Promise<EngineParts> {
  const { home, config } = options;
  const startedAt = Date.now();
  const host = options.host ?? '127.0.0.1';
  const paths = homePaths(home);
  const warn = options.warn ?? ((message: string) => process.stderr.write(`glassbox: ${message}\n`));
  secureHomeAndSay(home, warn);
  await parts.add('engine lock', { stop: takeEngineLock(paths.lock) });

  const store = Store.open(paths.database, { journalDir: paths.journal });
  await parts.add('store', { stop: () => closeStore(store) });
  // The broker starts before recovery, so that what a dead engine left pending is withdrawn in its session's
  // chain before that session ends; and so before the policy, whose settings it reads at each request.
  let policyRef: PolicyWatcher | undefined;
  const settings =
    options.approvals ??
    (() => {
      const inForce = policyRef?.current().approvals;
      return inForce
        ? { timeoutMs: inForce.timeoutMs, sessionScopeMs: inForce.sessionScopeMs }
        : DEFAULT_APPROVAL_SETTINGS;
    });
  const approvals = await parts.add('approvals', new Approvals({ store, settings, warn }));
  const recovered = recoverInterrupted(store, [PG_UNANSWERED], recoveredSearchText);
  // A database indexed by an older Glassbox: the index starts afresh now, before anything is recorded, and
  // what was stored before is indexed again in the background (the last component).
  const rebuild = store.beginSearchRebuild(SEARCH_TEXT_VERSION);
  const token = ensureToken(paths.token);
  const recording = new RecordingSwitch(store);
  // Read live (identity.json is watched): a sign-in or sign-out applies to the next session, never cached.
  const identity = await parts.add(
    'identity',
    new IdentityComponent({ home, settings: config.identity, warn }),
  );
  const now = () => identity.current();
  const log = options.log ?? (() => undefined);
  // Sign-in and sign-out from the dashboard and the desktop app (POST /api/identity/login|logout); a browser
  // sign-in under way is cancelled at shutdown so its loopback listener does not hold the process.
  const signIn = new IdentityController({
    home,
    settings: config.identity,
    source: identity,
    log,
  });
  await parts.add('sign-in controls', { stop: async () => signIn.stop() });
  // The team server's parts (config.json `team`): one bearer and one live connection, shared.
  const team = new TeamComponents({ home, team: config.team, identity, warn, log });
  if (team.live) await parts.add('team live stream', team.live);
  // Approvals whose rule routes them to a team server group go there; this person's groups' come here.
  const routedApprovals = await parts.add('routed approvals', team.routedApprovals(approvals));
  const policy = await parts.add(
    'policy',
    // With the last team policy fetched, so that an engine starting offline still applies it.
    new PolicyWatcher({ home, store, identity: now, log, team: team.cachedPolicy() }),
  );
  policyRef = policy;
  const teamPolicy = team.policySync(policy);
  if (teamPolicy) await parts.add('team policy', teamPolicy);
  const guard = await parts.add(
    'guard',
    new GuardComponent(() => policy.current(), { loaders: options.guardParsers, warn }),
  );

  const anthropic = new AnthropicProxy(
    anthropicOptions(config, {
      store,
      host,
      identity,
      pause: recording,
      policy: () => policy.current(),
      // A reply's tool_use blocks are checked by the same guard the hook asks (recorded, not enforced).
      guard: options.guard ?? (() => guard.current()),
    }),
  );
  await parts.add('Anthropic proxy', {
    start: () =>
      listen('Anthropic proxy', config.anthropic.port, '--anthropic-port', () => anthropic.start()),
    stop: () => anthropic.stop(config.shutdownGraceMs),
  });

  // Sealed with the desktop app's keychain-held key when it passed one (GLASSBOX_VAULT_KEY), else 0600 file.
  const openVault = (names: string[]) => openEngineVault(paths.vault, process.env, names);
  const vault = openVault(Object.keys(config.postgres.connections));
  const postgres = new PgProxy({
    store,
    identity,
    host,
    sampleRows: config.recording.sampleRows,
    pause: recording,
    preAuth: config.postgres.preAuth,
    ...(config.postgres.tls ? { tls: config.postgres.tls } : {}),
    // Read at each statement and result, so a policy change applies to the next one without a restart.
    masking: options.pgMasking ?? (() => policy.current()),
    guard: () => guard.current(),
    approvals,
    approvalMode: () => policy.current().approvals.mode,
    drivingPrompt: () => drivingPrompt(store, nowMicros()),
    ...options.pgGuard,
  });
  await parts.add('PostgreSQL proxy', {
    start: async () => void (await postgres.start(loadConnections(config, vault))),
    stop: () => postgres.stop(),
  });

  // Mirrors every session to the team server (config.json `team`); `off` without one, answering status only.
  const mirror = await parts.add('team mirror', team.mirror(paths.database, store));

  const upstream = config.anthropic.upstream;
  const api = new ApiServer({
    store,
    token,
    host,
    port: config.api.port,
    version: glassboxVersion(),
    recording: { control: recording, identity: now },
    policy: { policy, identity: now, home, connections: () => postgres.connections() },
    approvals: { approvals, identity: now, ...(config.team ? { team: routedApprovals } : {}) },
    identity: signIn,
    guard: {
      guard: options.guard ?? (() => guard.current()),
      approvals,
      policy: () => policy.current(),
      identity: now,
      target: new URL(upstream).host,
      home: homedir(),
    },
    health: () => ({
      proxies: { anthropic: { url: anthropic.url, upstream, status: anthropic.health.status } },
      postgres: postgres.health(),
      guard: guard.health(),
    }),
    team: mirror,
    notices: (push) => {
      const stopUpstream = anthropic.health.subscribe(({ upstream: url, status }) =>
        push({ type: 'upstream', proxy: 'anthropic', upstream: url, status }),
      );
      const stopTeam = routedApprovals.subscribe((approval) => push({ type: 'team-approval', approval }));
      return () => {
        stopUpstream();
        stopTeam();
      };
    },
  });
  await parts.add('control API', {
    start: () => listen('control API', config.api.port, '--api-port', () => api.start()),
    stop: () => api.stop(),
  });

  await parts.add(
    'idle sweep',
    every(IDLE_SWEEP_MS, () => anthropic.closeIdleSessions()),
  );
  const live = await parts.add(
    'config watcher',
    new LiveConfig({
      home,
      initial: fileConfig(home, config),
      postgres,
      openVault,
      addresses: { anthropicUrl: anthropic.url, apiUrl: api.url },
      startedAt,
      log,
    }),
  );
  const reindex = rebuild ? new ReindexThread(paths.database, warn) : undefined;
  if (reindex) await parts.add('search re-index', reindex);

  const addresses: EngineAddresses = {
    anthropicUrl: anthropic.url,
    apiUrl: api.url,
    dashboardUrl: `${api.url}/#token=${token}`,
    token,
    database: paths.database,
    postgres: listConnections(config, vault).map(({ name, url, upstream }) => ({ name, url, upstream })),
  };
  return {
    store,
    anthropic,
    api,
    postgres,
    policy,
    live,
    approvals,
    identity,
    mirror,
    reindex,
    addresses,
    recovered,
  };
}
