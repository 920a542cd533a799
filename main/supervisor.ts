/**
 * Keeps the engine running: starts it, waits until its control API answers, restarts it with bounded
 * exponential back-off when it dies, gives up after repeated fast failures, and stops it cleanly (asks, then
 * forces after a grace period). Electron-free: the child is an {@link EngineChild}, which the desktop app
 * backs with `utilityProcess` and tests with a Node child process running `glassbox serve`.
 */

/** A running engine process as the supervisor sees it. */
export interface EngineChild {
  /** Asks the engine to stop cleanly (it closes live sessions and the database, then exits). */
  requestStop(): void;
  /** Ends the process at once. */
  kill(): void;
  /** Called once when the process has exited; `code` is null when a signal ended it. */
  onExit(listener: (code: number | null) => void): void;
  /** Called with the engine's standard output and error as they arrive. */
  onOutput(listener: (text: string) => void): void;
}

/**
 * The supervisor's view of the engine: `starting` (each attempt), `running` (its API answers), `restarting`
 * (died; waiting out the back-off), `stopping`, `stopped`, `failed` (gave up restarting).
 */
export type EngineState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

/** Why the supervisor gave up: how many fast failures in a row and the engine's last output. */
export interface GiveUpReport {
  failures: number;
  lastExitCode: number | null;
  /** The last ~4 KB of the engine's output (its error message, usually). */
  output: string;
}

/** Settings of {@link EngineSupervisor}; times in milliseconds. */
export interface SupervisorOptions {
  launch: () => EngineChild;
  /** True once the engine's control API answers (GET /api/health). Must not throw. */
  ready: () => Promise<boolean>;
  /** How long a start may take before it counts as failed (default 30 000). */
  readyTimeoutMs?: number;
  /** How often `ready` is polled during a start (default 200). */
  readyPollMs?: number;
  /** First restart delay; doubles per consecutive fast failure (default 500). */
  initialBackoffMs?: number;
  /** Longest restart delay (default 30 000). */
  maxBackoffMs?: number;
  /** A run shorter than this is a fast failure (default 10 000). */
  fastFailureMs?: number;
  /** Give up after this many fast failures in a row (default 5). */
  maxFastFailures?: number;
  /** How long a clean stop may take before the process is killed (default 8 000). */
  stopGraceMs?: number;
  onState?: (state: EngineState) => void;
  onGiveUp?: (report: GiveUpReport) => void;
}

/** How {@link EngineSupervisor.stop} ended: `clean` when the engine exited by itself within the grace period. */
export interface StopResult {
  clean: boolean;
  code: number | null;
}

const OUTPUT_TAIL = 4096;

/** See the file comment. One supervisor runs at most one engine at a time. */
export class EngineSupervisor {
  private child: EngineChild | undefined;
  private exited: Promise<number | null> | undefined;
  private current: EngineState = 'stopped';
  private fastFailures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private output = '';
  private startedAt = 0;
  private readonly options: Required<Omit<SupervisorOptions, 'onState' | 'onGiveUp'>> &
    Pick<SupervisorOptions, 'onState' | 'onGiveUp'>;

  constructor(options: SupervisorOptions) {
    this.options = {
      readyTimeoutMs: 30_000,
      readyPollMs: 200,
      initialBackoffMs: 500,
      maxBackoffMs: 30_000,
      fastFailureMs: 10_000,
      maxFastFailures: 5,
      stopGraceMs: 8_000,
      ...options,
    };
  }

  /** The current state. */
  get state(): EngineState {
    return this.current;
  }

  /** Consecutive fast failures so far (reset by a run that lasted). */
  get failures(): number {
    return this.fastFailures;
  }

  /**
   * Starts the engine (no-op unless stopped or failed) and resolves when it is ready, or when this start
   * failed (the supervisor then restarts it with back-off, or gives up; watch `onState`).
   */
  async start(): Promise<EngineState> {
    if (this.current !== 'stopped' && this.current !== 'failed') return this.current;
    this.fastFailures = 0;
    return this.spawn();
  }

  /**
   * Stops the engine: asks it to stop, waits up to `stopGraceMs`, then kills it. Cancels a pending restart.
   */
  async stop(): Promise<StopResult> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) {
      this.setState('stopped');
      return { clean: true, code: 0 };
    }
    this.setState('stopping');
    child.requestStop();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.stopGraceMs);
    });
    const first = await Promise.race([exited, grace]);
    clearTimeout(timer);
    if (first !== 'timeout') return { clean: true, code: first };
    child.kill();
    return { clean: false, code: await exited };
  }

  private async spawn(): Promise<EngineState> {
    const state = 'starting';
    this.setState(state);
    this.output = '';
    const child = this.options.launch();
    this.child = child;
    this.startedAt = Date.now();
    child.onOutput((text) => {
      this.output = (this.output + text).slice(-OUTPUT_TAIL);
    });
    this.exited = new Promise((resolve) => child.onExit(resolve));
    const exited = this.exited;
    void exited.then((code) => this.onExit(child, code));
    const deadline = Date.now() + this.options.readyTimeoutMs;
    const gone = exited.then(() => 'exited' as const);
    while (this.child === child && this.current === state) {
      const probe = await Promise.race([this.options.ready().then((ok) => (ok ? 'ready' : 'no')), gone]);
      if (probe === 'exited') break;
      if (probe === 'ready') {
        if (this.child === child && this.current === state) this.setState('running');
        break;
      }
      if (Date.now() > deadline) {
        this.output += `\n(the engine did not answer within ${this.options.readyTimeoutMs} ms)`;
        child.kill();
        break;
      }
      const pause = new Promise<'wait'>((resolve) =>
        setTimeout(() => resolve('wait'), this.options.readyPollMs),
      );
      if ((await Promise.race([gone, pause])) === 'exited') break;
    }
    return this.current;
  }

  private onExit(child: EngineChild, code: number | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.exited = undefined;
    if (this.current === 'stopping' || this.current === 'stopped') {
      this.setState('stopped');
      return;
    }
    const ranFor = Date.now() - this.startedAt;
    this.fastFailures = ranFor < this.options.fastFailureMs ? this.fastFailures + 1 : 1;
    if (this.fastFailures >= this.options.maxFastFailures) {
      this.setState('failed');
      this.options.onGiveUp?.({ failures: this.fastFailures, lastExitCode: code, output: this.output });
      return;
    }
    this.setState('restarting');
    const delay = this.backoffMs();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.current === 'restarting') void this.spawn();
    }, delay);
  }

  /** The delay before the next restart: initial × 2^(failures − 1), capped. */
  backoffMs(): number {
    const { initialBackoffMs, maxBackoffMs } = this.options;
    return Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.max(0, this.fastFailures - 1));
  }

  private setState(state: EngineState): void {
    if (this.current === state) return;
    this.current = state;
    this.options.onState?.(state);
  }
}
