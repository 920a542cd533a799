/**
 * Retry delays with "full jitter" (a random delay up to an exponentially growing cap), so that engines which
 * lost the server together do not come back together. Used per session and for the mirror as a whole.
 */

/** Shape of the backoff: first cap and largest cap, in ms. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** The mirror's default: from up to 1 s, doubling, to up to 5 minutes; it never gives up. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

/**
 * The delay (ms) before attempt `failures + 1` after `failures` consecutive failures (≥ 1): uniform in
 * [cap/2, cap] where cap = min(maxMs, baseMs · 2^(failures−1)), so a retry never comes sooner than half the cap.
 * @param random a source in [0, 1) (Math.random by default; tests pass their own)
 */
export function backoffDelay(
  failures: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random = Math.random,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(cap / 2 + (random() * cap) / 2);
}

/**
 * A Retry-After header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as ms from `now`; undefined when
 * absent or unreadable. Never negative.
 */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
