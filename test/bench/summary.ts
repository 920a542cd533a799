/**
 * Headline figures a benchmark hands to the runner that started it (`npm run bench:masking` runs three
 * benchmarks and prints their headline figures together at the end). Each figure is one line: what was
 * measured, the figure as printed, and the target it is held against, if any.
 */
import { appendFileSync } from 'node:fs';

/** One headline figure: `{ what: 'detectors, no secrets', value: '92.1 MB/s', target: '' }`. */
export interface HeadlineFigure {
  what: string;
  value: string;
  target?: string;
}

/**
 * Appends the figures as JSON lines to the file named by `BENCH_SUMMARY_FILE`, when the runner set it;
 * does nothing otherwise (a benchmark run alone prints its own tables only).
 */
export function reportHeadlines(bench: string, figures: HeadlineFigure[]): void {
  const file = process.env.BENCH_SUMMARY_FILE;
  if (!file) return;
  for (const figure of figures) appendFileSync(file, `${JSON.stringify({ bench, ...figure })}\n`);
}
