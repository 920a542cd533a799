/**
 * Detectors built from a policy's custom patterns: an id, a JavaScript regular expression (ECMAScript syntax,
 * compiled with the `g` and `u` flags) and optional literal keywords for the prefilter.
 */
import type { Detector } from '../masking/types.js';

/** A custom pattern as a policy defines it (plain data). */
export interface CustomPatternDefinition {
  /** `custom.<name>` or `<name>` (letters, digits, `_`, `-`, `.`); the detector's id is `custom.<name>`. */
  id: string;
  /** ECMAScript regular expression source, without slashes or flags. */
  pattern: string;
  /** Literal substrings (case-insensitive) of which a text must hold one for the pattern to run. */
  keywords?: readonly string[];
  /** One line for people; defaults to the pattern. */
  description?: string;
}

/** A custom pattern that cannot become a detector; `field` names the definition's member at fault. */
export class CustomPatternError extends Error {
  constructor(
    readonly field: 'id' | 'pattern' | 'keywords',
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'CustomPatternError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_PATTERN = 2000;
/** Texts on which a pattern that can match the empty string shows it (at a boundary, a line end, anywhere). */
const EMPTY_PROBES = ['', 'a', '0', ' ', 'ab 12', 'a\nb', '-_.@/:'];

/**
 * A detector for `definition`'s pattern: every non-empty match, in order. Throws {@link CustomPatternError}
 * when the id is not a name, the pattern is not a valid regular expression under the `u` flag, is longer than
 * 2,000 characters, or can match the empty string (a pattern such as `a*` or `\b` would match between every
 * character), or when a keyword is empty.
 */
export function customDetector(definition: CustomPatternDefinition): Detector {
  const name = definition.id.startsWith('custom.') ? definition.id.slice(7) : definition.id;
  if (!NAME.test(name))
    throw new CustomPatternError(
      'id',
      `"${definition.id}" is not a name: use letters, digits, "_", "-" or "."`,
    );
  if (definition.pattern.length === 0 || definition.pattern.length > MAX_PATTERN)
    throw new CustomPatternError('pattern', `must be 1 to ${MAX_PATTERN} characters long`);
  let re: RegExp;
  try {
    re = new RegExp(definition.pattern, 'gu');
  } catch (err) {
    throw new CustomPatternError('pattern', `${(err as Error).message}; fix the regular expression`);
  }
  if (EMPTY_PROBES.some((probe) => [...probe.matchAll(re)].some((m) => m[0].length === 0)))
    throw new CustomPatternError(
      'pattern',
      `/${definition.pattern}/ can match the empty string; make it require at least one character (e.g. + instead of *)`,
    );
  const keywords = definition.keywords ?? [];
  if (keywords.some((k) => k.length === 0))
    throw new CustomPatternError('keywords', 'a keyword must not be empty; remove it');
  return {
    id: `custom.${name}`,
    category: 'custom',
    description: definition.description ?? `Custom pattern /${definition.pattern}/`,
    keywords,
    *find(text) {
      for (const m of text.matchAll(re)) {
        // A match can still be empty in a context the probes did not show; it masks nothing, so skip it.
        if (m[0].length > 0) yield { start: m.index, end: m.index + m[0].length };
      }
    },
  };
}
