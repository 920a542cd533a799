/**
 * The built-in detectors (DESIGN.md, "Masking": secrets by their documented formats, personal data with their
 * validity rules) and the scan that runs them over a text with a keyword prefilter.
 *
 * PLACEHOLDER: two detectors only, while the full set is being written (issue 16). The interface is final.
 */
import type { Detector, Finding } from '../masking/types.js';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const ANTHROPIC = /sk-ant-[a-z0-9]+-[A-Za-z0-9_-]{20,}/g;

function byRegex(
  id: string,
  category: Detector['category'],
  description: string,
  keywords: string[],
  re: RegExp,
) {
  return {
    id,
    category,
    description,
    keywords,
    *find(text: string) {
      for (const m of text.matchAll(re)) yield { start: m.index, end: m.index + m[0].length };
    },
  } satisfies Detector;
}

/** Every built-in detector, secrets first. */
export const BUILTIN_DETECTORS: readonly Detector[] = [
  byRegex('secret.anthropic_api_key', 'secret', 'Anthropic API key (sk-ant-…)', ['sk-ant-'], ANTHROPIC),
  byRegex('pii.email', 'pii', 'Email address', ['@'], EMAIL),
];

/**
 * Runs `detectors` over `text` (each only when the text holds one of its keywords) and returns their
 * findings in order of position; where two overlap, the one listed first in `detectors` wins.
 */
export function findAll(text: string, detectors: readonly Detector[]): Finding[] {
  const lower = text.toLowerCase();
  const found: Finding[] = [];
  for (const detector of detectors) {
    if (detector.keywords.length > 0 && !detector.keywords.some((k) => lower.includes(k.toLowerCase())))
      continue;
    for (const range of detector.find(text)) {
      if (found.some((f) => f.start < range.end && range.start < f.end)) continue;
      found.push({ detector: detector.id, ...range });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
