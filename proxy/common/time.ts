import { performance } from 'node:perf_hooks';

/**
 * Wall-clock time in whole microseconds since the Unix epoch (µs fits a JS number until the year 2255).
 * Uses the high-resolution monotonic clock anchored at process start, so consecutive calls never go backwards
 * within one process.
 */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** Monotonic time in µs (arbitrary origin) for measuring durations. */
export function monoMicros(): number {
  return Math.round(performance.now() * 1000);
}

/** Formats µs since epoch as an ISO-8601 UTC string with millisecond precision. */
export function isoFromMicros(us: number): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}
