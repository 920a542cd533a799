/**
 * Durations as people write them on a command line and in the control API: `90s`, `15m`, `2h`, `1h30m`
 * (units s, m, h, d; no spaces). Returns milliseconds, or undefined when the text is not such a duration.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d{1,6}[smhd])+$/.test(trimmed)) return undefined;
  const unit: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let ms = 0;
  for (const [, amount, u] of trimmed.matchAll(/(\d+)([smhd])/g)) ms += Number(amount) * unit[u!]!;
  return ms;
}

/** Milliseconds as a short duration for people: `300ms`, `45s`, `15m`, `1h 30m`, `2d 3h`. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1_000) return `${Math.round(ms)}ms`;
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 && m < 10 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}
