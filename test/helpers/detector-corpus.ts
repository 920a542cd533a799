/**
 * Texts that embed a planted value the way real traffic does — JSON, a log line, code, a `.env` file, prose,
 * and a tool result whose content is a `.env` file inside a JSON string — and the lookups detector tests
 * assert with.
 */

import { BUILTIN_DETECTORS, findAll } from '../../proxy/policy/detectors/index.js';
import type { Detector, Finding } from '../../proxy/policy/masking/types.js';

/** A text holding `value` once, and the exact characters a detector must report for it. */
export interface Embedded {
  name: string;
  text: string;
  /** `value` as it appears in `text` (JSON-escaped where the context escapes it). */
  expected: string;
}

const jsonEscaped = (value: string) => JSON.stringify(value).slice(1, -1);

/** `value` in six contexts; values with line breaks appear escaped where a JSON string holds them. */
export function contexts(value: string): Embedded[] {
  const toolResult = JSON.stringify({
    type: 'tool_result',
    tool_use_id: 'toolu_01A09q90qw90lq917835lq9',
    content: `$ cat config/app.conf\nMODE=production\nVALUE=${value}\nDEBUG=false\n`,
  });
  return [
    {
      name: 'JSON',
      text: JSON.stringify({ service: 'billing', config: { value, retries: 3 } }),
      expected: jsonEscaped(value),
    },
    {
      name: 'log line',
      text: `2025-05-01T12:00:00.123Z DEBUG http: sending request with credential ${value} to upstream (attempt 1)`,
      expected: value,
    },
    {
      name: 'code',
      text: `const client = new Client({\n  value: "${jsonEscaped(value)}",\n  retries: 3,\n});`,
      expected: jsonEscaped(value),
    },
    { name: '.env file', text: `MODE=production\nVALUE=${value}\nDEBUG=false\n`, expected: value },
    {
      name: 'prose',
      text: `Here is the value you asked for: ${value} — keep it somewhere safe.`,
      expected: value,
    },
    { name: 'tool result in a JSON string', text: toolResult, expected: jsonEscaped(value) },
  ];
}

/** The text of every finding of `findAll(text, detectors)`, as `detector: text`. */
export function findings(text: string, detectors: readonly Detector[] = BUILTIN_DETECTORS): string[] {
  return findAll(text, detectors).map((f: Finding) => `${f.detector}: ${text.slice(f.start, f.end)}`);
}
