/**
 * A part of the engine with a lifetime: the store, a proxy's listener, the control API, a watcher. `start`
 * (optional: some parts are running once built) may fail; `stop` must release whatever `start` took and is
 * called at most once.
 */
export interface Component {
  start?(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/**
 * The engine's components, started in order and stopped in reverse (DESIGN.md, "Processes"): a start that
 * fails stops, in reverse, everything started before it ({@link Lifecycle.compose}); {@link Lifecycle.stopAll}
 * runs every component's `stop` even when one fails — whatever a listener does on its way down, the store is
 * still closed — and throws the first error afterwards.
 */
export class Lifecycle {
  private readonly running: Array<{ name: string; component: Component }> = [];

  /**
   * Runs `compose`, which builds and {@link Lifecycle.add}s the components in order. If it throws — a
   * component's start, or any step between — what was started is stopped, in reverse, and the error rethrown.
   */
  async compose<T>(compose: (parts: Lifecycle) => Promise<T>): Promise<T> {
    try {
      return await compose(this);
    } catch (error) {
      await this.stopAll().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Starts `component` (named for diagnostics, e.g. "control API") and keeps it for {@link Lifecycle.stopAll}.
   * @returns the component
   * @throws what its start threw (it is then not kept)
   */
  async add<T extends Component>(name: string, component: T): Promise<T> {
    await component.start?.();
    this.running.push({ name, component });
    return component;
  }

  /**
   * Stops every started component, newest first, each once.
   * @throws the first error a component's stop threw, after all of them ran
   */
  async stopAll(): Promise<void> {
    const failures: unknown[] = [];
    while (this.running.length > 0) {
      const { component } = this.running.pop()!;
      try {
        await component.stop();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  /** Names of the running components, in start order (for diagnostics and tests). */
  get names(): string[] {
    return this.running.map(({ name }) => name);
  }
}
