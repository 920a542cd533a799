/** Display formatting. Every time is µs since epoch, every duration µs, as the engine records them. */

/** A duration such as `840 µs`, `12.3 ms`, `4.2 s`, `3 m 05 s`, `2 h 10 m`; '—' when unknown. */
export function duration(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return '—';
  if (us < 1_000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1_000).toFixed(us < 10_000 ? 1 : 0)} ms`;
  const s = us / 1_000_000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

// Formatters are built once: toLocaleTimeString() and friends build a new Intl formatter on every call, which
// made formatting the slowest part of rendering a list row.
// hourCycle, not hour12: false, which gives 'h24' in en-US (midnight as 24:05:07).
const TIME = new Intl.DateTimeFormat(undefined, {
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
});
const MONTH_DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const THOUSANDS = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Local wall-clock time `14:02:11`. */
export function clock(us: number): string {
  return TIME.format(us / 1000);
}

/** Local time with milliseconds `14:02:11.123`. */
export function clockMs(us: number): string {
  return `${clock(us)}.${String(Math.floor((us / 1000) % 1000)).padStart(3, '0')}`;
}

/** A start time: `14:02:11` today, else `Jul 3 14:02`. */
export function when(us: number, now = Date.now() * 1000): string {
  const date = new Date(us / 1000);
  const today = new Date(now / 1000);
  if (date.toDateString() === today.toDateString()) return clock(us);
  return `${MONTH_DAY.format(date)} ${clock(us).slice(0, 5)}`;
}

/** A count with thousands separators; '—' when unknown. */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : THOUSANDS.format(Math.round(n));
}

/** A compact count: 950, 12.4k, 3.1M. */
export function compact(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1_000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1_000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** Amounts under a cent: two significant digits, never in exponent form (`0.0000012`, not `1.2e-6`). */
const SUB_CENT = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2, useGrouping: false });

/**
 * US dollars: cents from a cent up (`$1.27`), two significant digits under a cent (`$0.00034`, `$0.0042`), so
 * small turns still add up to their session's total; `$0` for nothing; '—' when unknown.
 */
export function dollars(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '—';
  if (usd === 0) return '$0';
  return Math.abs(usd) < 0.01 ? `$${SUB_CENT.format(usd)}` : `$${usd.toFixed(2)}`;
}

/**
 * A session's cost from its stats: `$1.27`; `$1.27+` when some turns used a model without a known price
 * (their cost is not in the sum); `unpriced` when none had one.
 */
export function sessionCost(
  costUsd: number | null | undefined,
  unpricedTurns: number | null | undefined,
): string {
  if (!unpricedTurns) return dollars(costUsd ?? 0);
  return costUsd ? `${dollars(costUsd)}+` : 'unpriced';
}

/** A tooltip for a cost that leaves out turns without a known price; '' when there are none. */
export function unpricedTitle(unpricedTurns: number | null | undefined): string {
  return unpricedTurns
    ? `${counted(unpricedTurns, 'turn')} used a model with no known price and ${unpricedTurns === 1 ? 'is' : 'are'} not in the cost; add the model to "prices" in config.json`
    : '';
}

/** `1 turn`, `3 turns`: a count with its noun, singular for one. */
export function counted(n: number | null | undefined, noun: string): string {
  return `${count(n)} ${n === 1 ? noun : `${noun}s`}`;
}

/** Pretty-printed JSON (2 spaces); strings stay as they are. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2) ?? String(value);
}
