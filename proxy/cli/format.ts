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

/** A dollar amount, with enough digits for small per-turn costs; "—" when unknown. */
export function dollars(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(4)}`;
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
