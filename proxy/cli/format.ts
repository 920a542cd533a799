import { isoFromMicros } from '../common/time.js';

/** Formats a duration in µs for people: 850 µs, 12 ms, 1.4 s, 3 min 5 s. */
export function duration(us: number | null | undefined): string {
  if (us === null || us === undefined) return '—';
  if (us < 1_000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${Math.round(us / 1_000)} ms`;
  if (us < 60_000_000) return `${(us / 1_000_000).toFixed(1)} s`;
  return `${Math.floor(us / 60_000_000)} min ${Math.round((us % 60_000_000) / 1_000_000)} s`;
}

/** µs since epoch as `2026-11-23 14:03:07 UTC`. */
export function timestamp(us: number): string {
  return `${isoFromMicros(us).slice(0, 19).replace('T', ' ')} UTC`;
}

/** µs since epoch as `14:03:07.123`. */
export function clock(us: number): string {
  return isoFromMicros(us).slice(11, 23);
}

/** Two significant digits, never exponent notation: 0.00034, 0.0042. */
const SUB_CENT = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2, useGrouping: false });

/**
 * A dollar amount as the dashboard writes it: `$0`, cents from a cent up (`$1.27`), two significant digits
 * under a cent (`$0.00034`), so small per-turn costs add up to the total shown; "—" when unknown.
 */
export function dollars(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value === 0) return '$0';
  return Math.abs(value) < 0.01 ? `$${SUB_CENT.format(value)}` : `$${value.toFixed(2)}`;
}

/** Thousands separators: 12,345. */
export function count(value: number | null | undefined): string {
  return (value ?? 0).toLocaleString('en-US');
}

/** `1 row`, `3 rows`: a count with its noun, singular for one. */
export function counted(value: number | null | undefined, noun: string): string {
  return `${count(value)} ${value === 1 ? noun : `${noun}s`}`;
}

/** Indents every line after the first by `pad` so a block aligns under a label column. */
export function hang(text: string, pad: string): string {
  return text.split('\n').join(`\n${pad}`);
}

/** Shortens text to `max` characters with an ellipsis and a note of the full length. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${count(text.length)} chars)`;
}
