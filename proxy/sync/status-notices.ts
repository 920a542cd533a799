/**
 * The mirror's `team` notices (the control API's live message): the status sent to listeners at most once per
 * interval and only when it changed, so a flood of acknowledged batches is one message a second.
 */
import type { MirrorStatus } from './types.js';

/** Throttled, de-duplicated status notices. */
export class StatusNotices {
  private readonly listeners = new Set<(status: MirrorStatus) => void>();
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private lastAt = 0;

  /**
   * @param read the status now (called when a notice is due)
   * @param intervalMs the shortest time between two notices (ms)
   */
  constructor(
    private readonly read: () => MirrorStatus,
    private readonly intervalMs: number,
  ) {}

  /** Adds a listener; returns the function removing it. */
  subscribe(listener: (status: MirrorStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The status may have changed: schedules a notice unless one is due already or nobody listens. */
  changed(): void {
    if (this.listeners.size === 0 || this.timer) return;
    const delay = Math.max(0, this.lastAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastAt = Date.now();
      const status = this.read();
      const text = JSON.stringify(status);
      if (text === this.last) return;
      this.last = text;
      for (const listener of this.listeners) listener(status);
    }, delay).unref();
  }

  /** Cancels a pending notice (at stop). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
