import { AnthropicProxy } from './anthropic/proxy.js';
import { recoveredSearchText } from './anthropic/request-body.js';
import { ApiServer } from './api/server.js';
import { ensureToken } from './api/token.js';
import { describeError, UserError } from './common/errors.js';
import { glassboxVersion } from './common/version.js';
import { type Config, homePaths, loadConfig } from './config.js';
import { describeTightened, secureHome } from './home-permissions.js';
import { localIdentity } from './identity/local.js';
import { openEngineVault } from './identity/sealed-vault.js';
import { type EngineLog, LiveConfig } from './live-config.js';
import { takeEngineLock } from './lock.js';
import { RecordingSwitch } from './policy/recording-switch.js';
import { listConnections, loadConnections } from './postgres/connections.js';
import { PG_UNANSWERED } from './postgres/recorder.js';
import { PgProxy } from './postgres/server.js';
import { SEARCH_TEXT_VERSION } from './search/event-text.js';
import { ReindexThread } from './search/reindex-thread.js';
import { recoverInterrupted } from './store/recovery.js';
import { Store } from './store/store.js';
import { diskIsFull, isDiskFull, StoreUnavailableError, storageFailure } from './store/unavailable.js';

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

/**
 * The composition root: opens the store (recovering sessions a dead engine left live), starts the Anthropic
 * proxy and the control API, and stops them all in order. Imports nothing from Electron: the same engine runs
 * under `glassbox serve`, in tests and (later) in the desktop app's utility process.
 */
export class Engine {
  private constructor(
    readonly store: Store,
    readonly anthropic: AnthropicProxy,
    readonly api: ApiServer,
    readonly postgres: PgProxy,
    readonly addresses: EngineAddresses,
    /** Sessions found live at start and marked interrupted. */
    readonly recovered: number,
    private readonly config: Config,
    private readonly releaseLock: () => void,
    private readonly sweeper: NodeJS.Timeout,
    /** Applies config.json and vault changes while running. */
    readonly live: LiveConfig,
    /** Re-indexing sessions recorded by an older Glassbox for search, while that runs (see `done`). */
    readonly reindex: ReindexThread | undefined,
  ) {}

  /**
   * Starts everything, or nothing: on failure whatever was started is stopped again.
   * @throws UserError for problems the user can fix (port in use, another engine running, bad config)
   */
  static async start(options: EngineOptions): Promise<Engine> {
    try {
      return await Engine.startIn(options);
    } catch (error) {
      throw startFailure(error, options.home);
    }
  }

  private static async startIn(options: EngineOptions): Promise<Engine> {
    const { home, config } = options;
    const host = options.host ?? '127.0.0.1';
    const paths = homePaths(home);
    const warn = options.warn ?? ((message: string) => process.stderr.write(`glassbox: ${message}\n`));
    // Recordings are private: what an older run or a careless umask left readable is tightened now (the
    // entry points also set a 077 umask; every file the engine creates has an explicit 0600 mode anyway).
    const homeCheck = secureHome(home);
    const tightened = describeTightened(home, homeCheck.tightened);
    if (tightened) warn(tightened);
    for (const problem of homeCheck.problems) warn(`recordings may be readable by other users: ${problem}`);
    const releaseLock = takeEngineLock(paths.lock);
    const version = glassboxVersion();
    let store: Store | undefined;
    let anthropic: AnthropicProxy | undefined;
    let api: ApiServer | undefined;
    let postgres: PgProxy | undefined;
    let live: LiveConfig | undefined;
    try {
      store = Store.open(paths.database, { journalDir: paths.journal });
      const recovered = recoverInterrupted(store, [PG_UNANSWERED], recoveredSearchText);
      // A database indexed by an older Glassbox: the index starts afresh now, before anything is recorded, and
      // what was stored before is indexed again in the background (below).
      const rebuild = store.beginSearchRebuild(SEARCH_TEXT_VERSION);
      const token = ensureToken(paths.token);
      const recording = new RecordingSwitch(store);
      const upstream = new URL(config.anthropic.upstream);
      const proxy = new AnthropicProxy({
        store,
        upstream,
        host,
        port: config.anthropic.port,
        maxBodyBytes: config.recording.maxBodyBytes,
        maxRequestBytes: config.anthropic.maxRequestBytes,
        requestBodyTimeoutMs: config.anthropic.requestBodyTimeoutMs,
        maxPendingRequestBytes: config.anthropic.maxPendingRequestBytes,
        allowedOrigins: config.anthropic.allowedOrigins,
        upstreamTimeouts: {
          connectMs: config.anthropic.upstreamConnectTimeoutMs,
          headersMs: config.anthropic.upstreamHeadersTimeoutMs,
        },
        checkpointIntervalMs: config.recording.checkpointIntervalMs,
        prices: config.prices,
        identity: localIdentity(),
        pause: recording,
      });
      anthropic = proxy;
      await listen('Anthropic proxy', config.anthropic.port, '--anthropic-port', () => proxy.start());
      // Sealed with the desktop app's keychain-held key when it passed one (GLASSBOX_VAULT_KEY), else 0600 file.
      const openVault = (names: string[]) => openEngineVault(paths.vault, process.env, names);
      const vault = openVault(Object.keys(config.postgres.connections));
      const identity = localIdentity();
      const pg = new PgProxy({
        store,
        identity,
        host,
        sampleRows: config.recording.sampleRows,
        pause: recording,
        preAuth: config.postgres.preAuth,
        ...(config.postgres.tls ? { tls: config.postgres.tls } : {}),
      });
      postgres = pg;
      await pg.start(loadConnections(config, vault));
      const server = new ApiServer({
        store,
        token,
        host,
        port: config.api.port,
        version,
        recording: { control: recording, identity },
        health: () => ({
          proxies: {
            anthropic: { url: proxy.url, upstream: upstream.toString(), status: proxy.health.status },
          },
          postgres: pg.health(),
        }),
        notices: (push) =>
          proxy.health.subscribe(({ upstream: url, status }) =>
            push({ type: 'upstream', proxy: 'anthropic', upstream: url, status }),
          ),
      });
      api = server;
      await listen('control API', config.api.port, '--api-port', () => server.start());
      const sweeper = setInterval(() => {
        try {
          proxy.closeIdleSessions();
        } catch {
          // A failed sweep is retried at the next tick.
        }
      }, IDLE_SWEEP_MS).unref();
      const addresses: EngineAddresses = {
        anthropicUrl: proxy.url,
        apiUrl: server.url,
        dashboardUrl: `${server.url}/#token=${token}`,
        token,
        database: paths.database,
        postgres: listConnections(config, vault).map(({ name, url, upstream }) => ({ name, url, upstream })),
      };
      live = new LiveConfig({
        home,
        initial: fileConfig(home, config),
        postgres: pg,
        openVault,
        addresses: { anthropicUrl: proxy.url, apiUrl: server.url },
        log: options.log ?? (() => undefined),
      });
      live.start();
      const reindex = rebuild
        ? new ReindexThread(paths.database, (message) => console.error(`glassbox: ${message}`))
        : undefined;
      return new Engine(
        store,
        proxy,
        server,
        pg,
        addresses,
        recovered,
        config,
        releaseLock,
        sweeper,
        live,
        reindex,
      );
    } catch (error) {
      await live?.stop().catch(() => undefined);
      await api?.stop().catch(() => undefined);
      await anthropic?.stop(0).catch(() => undefined);
      await postgres?.stop().catch(() => undefined);
      store?.close();
      releaseLock();
      throw error;
    }
  }

  /**
   * Stops cleanly: closes listeners, lets in-flight exchanges finish (up to `shutdownGraceMs`), records the
   * rest as ended by shutdown, marks live sessions closed, checkpoints and closes the database.
   * @throws the first error a step raised, after every step ran
   */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    // Every step runs even when one before it failed: whatever a listener does on its way down, live sessions
    // are closed and the store applies everything journaled before the process exits. The first error is
    // rethrown afterwards.
    const failures: unknown[] = [];
    const attempt = async (step: () => unknown) => {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    };
    await attempt(() => this.live.stop());
    await attempt(() => this.api.stop());
    await attempt(() => this.anthropic.stop(this.config.shutdownGraceMs));
    await attempt(() => this.postgres.stop());
    await attempt(() => this.reindex?.stop());
    await attempt(() => {
      try {
        this.store.endAllLive('shutdown');
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        throw new UserError(
          `live sessions were left open (${error.message}); the next start closes them as interrupted, and nothing recorded is lost`,
          1,
        );
      }
    });
    await attempt(() => this.store.close());
    this.releaseLock();
    if (failures.length > 0) throw failures[0];
  }
}

/** config.json as it is on disk (the base live changes are compared to); `config` when it cannot be read. */
function fileConfig(home: string, config: Config): Config {
  try {
    return loadConfig(home);
  } catch {
    return config;
  }
}

/**
 * What a failed start tells the user: a full disk (or one SQLite cannot even open its shared memory on) is
 * said in words, with what to do, instead of surfacing as an unexpected ENOSPC.
 */
function startFailure(error: unknown, home: string): unknown {
  if (error instanceof UserError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const full =
    isDiskFull(error) || (typeof code === 'string' && code.startsWith('SQLITE_IOERR') && diskIsFull(home));
  if (!full) return error;
  const cause = isDiskFull(error)
    ? storageFailure(error, home).message
    : `the disk holding ${home} is full (${describeError(error)})`;
  return new UserError(
    `cannot start: ${cause}. Nothing recorded is lost: free some space there, then start Glassbox again.`,
    1,
  );
}

async function listen(what: string, port: number, flag: string, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UserError(
        `Port ${port} for the ${what} is already in use. Stop what uses it, or pick another with ${flag}.`,
      );
    }
    throw new UserError(`Could not start the ${what} on port ${port}: ${describeError(error)}`);
  }
}
