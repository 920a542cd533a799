import { createHmac, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { PreAuthHealth, RefusalReason, SourceCounts } from './pre-auth-types.js';
import type { ScramCredentials } from './scram.js';

export type { PreAuthHealth, RefusalReason, SourceCounts };

/** Limits on PostgreSQL client connections that have not authenticated yet (config.json `postgres.preAuth`). */
export interface PreAuthLimits {
  /** Connections of one listener still before authentication; the next is refused at once (53300). */
  maxPending: number;
  /** Time from connect to authenticated, ms; a connection still short of it then is closed unanswered. */
  timeoutMs: number;
  /** Failed logins from one client address in a minute; beyond it, its logins are refused (53300) until fewer. */
  maxFailedLoginsPerMinute: number;
  /** CancelRequests from one client address in a minute; beyond it they are dropped, not forwarded. */
  maxCancelsPerMinute: number;
}

/** Defaults: PostgreSQL's max_connections is 100; authentication_timeout is 60 s (Glassbox's start-up was 15 s). */
export const DEFAULT_PRE_AUTH_LIMITS: PreAuthLimits = {
  maxPending: 64,
  timeoutMs: 15_000,
  maxFailedLoginsPerMinute: 30,
  maxCancelsPerMinute: 120,
};

/** A connection counted against its listener's cap until it authenticates or ends; `release` is idempotent. */
export interface PreAuthTicket {
  release(): void;
}

const MINUTE_MS = 60_000;
/** Client addresses remembered (least recently seen forgotten first); loopback has a few, at most. */
const MAX_SOURCES = 1024;

/** What a log line is about: each has its own line a minute per address. */
type Topic = 'connections' | 'logins' | 'cancels';

interface Source {
  counts: SourceCounts;
  failures: number[];
  cancels: number[];
  /** Per topic: events not yet in a log line, and when its last line was written (ms). */
  logs: Map<Topic, { unlogged: Map<string, number>; loggedAt: number }>;
}

/**
 * Keeps connections that have not authenticated from costing more than PostgreSQL would let them: caps them
 * per listener, counts what each client address did (never as recorded sessions), rate-limits failed logins
 * and CancelRequests per address, and writes a log line per address (and topic: refused connections,
 * failed logins, CancelRequests) when something first happens, then at most one a minute. Also makes the SCRAM credentials for a role that does not exist, as
 * PostgreSQL does, so an unknown role gets the same exchange as a wrong password.
 */
export class PreAuthGuard {
  private readonly pending = new Map<string, number>();
  private readonly sources = new Map<string, Source>();
  private readonly mockKey = randomBytes(32);
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly limits: PreAuthLimits,
    private readonly warn: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new connection on `listener`; undefined when the listener is at its cap (refuse it: 53300). */
  admit(listener: string, address: string): PreAuthTicket | undefined {
    const count = this.pending.get(listener) ?? 0;
    if (count >= this.limits.maxPending) {
      this.refused(address, 'too_many_pending');
      return undefined;
    }
    this.pending.set(listener, count + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.pending.get(listener) ?? 1) - 1;
        if (left > 0) this.pending.set(listener, left);
        else this.pending.delete(listener);
      },
    };
  }

  /** A connection from `address` ended before authenticating, no password tried. */
  refused(address: string, reason: RefusalReason): void {
    const source = this.source(address);
    source.counts.refused[reason] = (source.counts.refused[reason] ?? 0) + 1;
    this.note(
      address,
      source,
      reason === 'too_many_failures' ? 'logins' : 'connections',
      describeRefusal(reason),
    );
  }

  /**
   * Milliseconds until `address` may try to log in again, 0 when it may now: over `maxFailedLoginsPerMinute`
   * failures in the last minute it must wait for the oldest to age out.
   */
  loginBlockedFor(address: string): number {
    const source = this.sources.get(address);
    if (!source) return 0;
    const failures = recent(source.failures, this.now());
    if (failures.length < this.limits.maxFailedLoginsPerMinute) return 0;
    return Math.max(1, failures[0]! + MINUTE_MS - this.now());
  }

  /** A failed login from `address` as role `user`. */
  loginFailed(address: string, user: string): void {
    const source = this.source(address);
    source.counts.failed_logins++;
    source.failures.push(this.now());
    trim(source.failures, this.limits.maxFailedLoginsPerMinute);
    this.note(address, source, 'logins', `failed login as ${JSON.stringify(user.slice(0, 64))}`);
  }

  /**
   * A CancelRequest from `address`: true when it may be forwarded, false when over the rate limit (drop it,
   * unanswered, as PostgreSQL answers every CancelRequest).
   */
  cancelAllowed(address: string): boolean {
    const source = this.source(address);
    source.counts.cancels++;
    const cancels = recent(source.cancels, this.now());
    if (cancels.length >= this.limits.maxCancelsPerMinute) {
      source.counts.cancels_dropped++;
      this.note(address, source, 'cancels', 'cancel request dropped (rate limit)');
      return false;
    }
    source.cancels.push(this.now());
    trim(source.cancels, this.limits.maxCancelsPerMinute);
    return true;
  }

  /** A CancelRequest from `address` carried a key Glassbox never issued (or one whose session ended). */
  cancelUnknown(address: string): void {
    const source = this.source(address);
    source.counts.cancels_unknown++;
    this.note(address, source, 'cancels', 'cancel request with an unknown key');
  }

  /**
   * SCRAM credentials for a role that is not the connection's: a salt derived from the name (the same on
   * every attempt) and keys no password matches, as PostgreSQL's scram_mock_salt does, so the exchange looks
   * like a wrong password's (PostgreSQL docs, 21.5 "Password Authentication").
   */
  mockCredentials(user: string, iterations: number): ScramCredentials {
    const derive = (label: string) => createHmac('sha256', this.mockKey).update(`${label}\0${user}`).digest();
    return {
      iterations,
      salt: derive('salt').subarray(0, 16),
      storedKey: derive('stored'),
      serverKey: derive('server'),
    };
  }

  /** Counts for /api/health. */
  health(): PreAuthHealth {
    return {
      pending: Object.fromEntries(this.pending),
      sources: [...this.sources.values()].reverse().map((source) => structuredClone(source.counts)),
    };
  }

  /** Writes what is not logged yet and stops the log timer. */
  close(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const [address, source] of this.sources)
      for (const topic of source.logs.keys()) this.flush(address, source, topic);
  }

  private source(address: string): Source {
    let source = this.sources.get(address);
    if (source) this.sources.delete(address);
    else {
      source = {
        counts: {
          address,
          refused: {},
          failed_logins: 0,
          cancels: 0,
          cancels_unknown: 0,
          cancels_dropped: 0,
          last_at: 0,
        },
        failures: [],
        cancels: [],
        logs: new Map(),
      };
      if (this.sources.size >= MAX_SOURCES) this.sources.delete(this.sources.keys().next().value!);
    }
    this.sources.set(address, source);
    source.counts.last_at = this.now() * 1000;
    return source;
  }

  /** Counts an event for the log: written at once when its topic had no line from the address this minute, else later. */
  private note(address: string, source: Source, topic: Topic, what: string): void {
    let log = source.logs.get(topic);
    if (!log) {
      log = { unlogged: new Map(), loggedAt: Number.NEGATIVE_INFINITY };
      source.logs.set(topic, log);
    }
    log.unlogged.set(what, (log.unlogged.get(what) ?? 0) + 1);
    if (this.now() - log.loggedAt >= MINUTE_MS) this.flush(address, source, topic);
    else this.flushTimer ??= setTimeout(() => this.flushDue(), MINUTE_MS).unref();
  }

  private flushDue(): void {
    this.flushTimer = undefined;
    let waiting = false;
    for (const [address, source] of this.sources) {
      for (const [topic, log] of source.logs) {
        if (log.unlogged.size === 0) continue;
        if (this.now() - log.loggedAt >= MINUTE_MS) this.flush(address, source, topic);
        else waiting = true;
      }
    }
    if (waiting) this.flushTimer = setTimeout(() => this.flushDue(), MINUTE_MS).unref();
  }

  private flush(address: string, source: Source, topic: Topic): void {
    const log = source.logs.get(topic);
    if (!log || log.unlogged.size === 0) return;
    const parts = [...log.unlogged].map(([what, n]) => (n === 1 ? what : `${what} ×${n}`));
    log.unlogged.clear();
    log.loggedAt = this.now();
    this.warn(`PostgreSQL: before authentication, from ${address}: ${parts.join(', ')}`);
  }
}

/**
 * Closes a connection refused before login within `graceMs`, as PostgreSQL's backend exits after a FATAL:
 * up to `drainBytes` of what the client still sends are read and dropped meanwhile (closing with unread
 * input would reset the connection and could lose the error on its way); a client that sends more, or never
 * closes its side, is cut off.
 */
export function closeAfterRefusal(socket: Socket, graceMs = 1_000, drainBytes = 64 * 1024): void {
  if (socket.destroyed) return;
  let drained = 0;
  socket.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > drainBytes) socket.destroy();
  });
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), graceMs).unref();
  socket.once('close', () => clearTimeout(timer));
  if (!socket.writableEnded) socket.end();
}

function describeRefusal(reason: RefusalReason): string {
  switch (reason) {
    case 'closed':
      return 'closed without logging in';
    case 'timeout':
      return 'timed out before logging in';
    case 'malformed':
      return 'refused start-up packet';
    case 'too_many_pending':
      return 'refused: too many connections waiting to log in';
    case 'too_many_failures':
      return 'refused: too many failed logins';
    case 'tls':
      return 'TLS handshake failed';
  }
}

/** The timestamps of the last minute (the array is oldest first; older ones are dropped from it). */
function recent(times: number[], now: number): number[] {
  let old = 0;
  while (old < times.length && times[old]! <= now - MINUTE_MS) old++;
  times.splice(0, old);
  return times;
}

function trim(times: number[], keep: number): void {
  if (times.length > keep) times.splice(0, times.length - keep);
}
