/**
 * Whether the upstream Anthropic API can be reached, as the proxy's own requests find it: failing from the
 * first request that could not reach it (refused, unresolvable, timed out, reset before a response head),
 * ok again from the first response head that comes back, whatever its status. Listeners hear of changes of
 * state only, never of each request, so a client retrying for minutes makes one warning, not hundreds.
 */
import { describeError } from '../common/errors.js';
import { nowMicros } from '../common/time.js';

/** `unknown` until the first request ends one way or the other. */
export type UpstreamState = 'unknown' | 'ok' | 'failing';

/** The upstream's reachability as the control API reports it (GET /api/health, /api/live). */
export interface UpstreamStatus {
  state: UpstreamState;
  /** When the current state began, µs since epoch; null while unknown. */
  since: number | null;
  /** While failing: the last failure's cause, e.g. "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9". */
  last_error: string | null;
  /** While failing: requests that could not reach the upstream since it began failing. */
  failed_requests: number;
}

/** A change of state: the upstream's URL, the new status and the one it replaced. */
export interface UpstreamChange {
  upstream: string;
  status: UpstreamStatus;
  previous: UpstreamStatus;
}

/** Tracks one upstream's reachability; see the top of this file. */
export class UpstreamHealth {
  private current: UpstreamStatus = { state: 'unknown', since: null, last_error: null, failed_requests: 0 };
  private readonly listeners = new Set<(change: UpstreamChange) => void>();

  /** @param upstream the upstream's URL, as listeners are told it */
  constructor(
    readonly upstream: string,
    private readonly clock: () => number = nowMicros,
  ) {}

  /** The current status (a copy). */
  get status(): UpstreamStatus {
    return { ...this.current };
  }

  /** A response head came back from the upstream. */
  reached(): void {
    if (this.current.state === 'ok') return;
    this.change({ state: 'ok', since: this.clock(), last_error: null, failed_requests: 0 });
  }

  /** A request could not reach the upstream (`error` says why). */
  failed(error: unknown): void {
    const cause = describeError(error);
    if (this.current.state === 'failing') {
      this.current.last_error = cause;
      this.current.failed_requests++;
      return;
    }
    this.change({ state: 'failing', since: this.clock(), last_error: cause, failed_requests: 1 });
  }

  /** Calls `listener` at each change of state; returns the function that stops it. */
  subscribe(listener: (change: UpstreamChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private change(next: UpstreamStatus): void {
    const previous = this.current;
    this.current = next;
    for (const listener of this.listeners) {
      try {
        listener({ upstream: this.upstream, status: { ...next }, previous: { ...previous } });
      } catch {
        // A listener's failure (a closed terminal, a dead socket) never reaches the request that caused it.
      }
    }
  }
}
