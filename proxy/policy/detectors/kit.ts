/**
 * Building blocks the detectors share: Shannon entropy and the placeholder test that tell a generated
 * credential from a value written in documentation, token-boundary checks that understand JSON string escapes
 * (a tool result's `.env` file arrives as `"A=1\nTOKEN=…"`, so the `n` of `\n` is not part of the token), a
 * detector built from one regular expression, and the merge of several patterns' ranges into one ordered,
 * non-overlapping list.
 */
import type { DetectorCategory, TextRange } from '../masking/types.js';
import { type ScanDetector, scanDetector } from './scan.js';

/** Shannon entropy of `value` in bits per character (0 for the empty string). Counts UTF-16 code units. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Whole values that documentation and templates use in place of a real secret. */
const PLACEHOLDER_WORDS = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'secret',
  'changeme',
  'change_me',
  'changeit',
  'placeholder',
  'redacted',
  'example',
  'sample',
  'dummy',
  'none',
  'null',
  'nil',
  'undefined',
  'true',
  'false',
]);

/**
 * Masks and references: runs of `x`, `*`, `•`, `.`, an ellipsis, `<your-key>`, `${VAR}`, `{{ expr }}`,
 * `%(name)s`, and `your`/`xxx` as words of their own. Runs of `x` count only from six on, and short words only
 * between non-alphanumerics, since a random token holds `xxxx` or `your` about once in ten thousand.
 */
const MASK_OR_REFERENCE =
  /x{6,}|X{6,}|\*{3,}|•{3,}|\.{3,}|…|0{8,}|<[^>]*>|\$\{|\{\{|%\(|(?:^|[^A-Za-z0-9])(?:your|xxxx?)(?:[^A-Za-z0-9]|$)/i;
/** Words that documentation writes into a stand-in value (`mysecretpassword`, `example-key`, `fake_token`). */
const PLACEHOLDER_WORDS_INSIDE =
  /password|changeme|placeholder|example|redacted|replace[_-]?me|(?:^|[^A-Za-z0-9])(?:fake|dummy|sample|insert|change[_-]me)(?:[^A-Za-z0-9]|$)/i;

/**
 * True when `value` cannot be a secret because it stands in for one: a whole placeholder word (`password`,
 * `changeme`), a name in capitals (`LOCALSECRET`), one character repeated, a mask (`********`, `xxxxxx`) or a
 * reference (`${DB_PASSWORD}`, `<your-token>`). Weak but real passwords (`MyPassword2024!`) are not stand-ins.
 */
export function isStandIn(value: string): boolean {
  if (value.length === 0) return true;
  if (PLACEHOLDER_WORDS.has(value.toLowerCase())) return true;
  if (/^(.)\1*$/s.test(value)) return true;
  if (/^[A-Z][A-Z_]{3,}$/.test(value)) return true; // a name in capitals: PASSWORD, LOCALSECRET, DB_PASS
  return MASK_OR_REFERENCE.test(value);
}

/**
 * True when `value` is the kind of stand-in that documentation, templates and examples put where a secret goes
 * (`changeme`, `mysecretpassword`, `sk-ant-api03-xxxxxx…`, `<your-token>`, `${DB_PASSWORD}`, `********`), so
 * that a detector that judges values by their look does not report it as a secret.
 */
export function isPlaceholder(value: string): boolean {
  return isStandIn(value) || PLACEHOLDER_WORDS_INSIDE.test(value);
}

/**
 * True when `value` reads like generated key material rather than a word or a placeholder: not a placeholder,
 * and at least `minBitsPerChar` bits of Shannon entropy per character (3.0 by default: a random 32-character
 * alphanumeric string has about 4.7, hex about 3.8, `changeme` 2.75).
 */
export function looksRandom(value: string, minBitsPerChar = 3): boolean {
  return !isPlaceholder(value) && shannonEntropy(value) >= minBitsPerChar;
}

/** Characters a token is made of: letters, digits, `_` and `-`. */
export const TOKEN_CHAR = /[A-Za-z0-9_-]/;

/** Letters that follow a backslash in a JSON string escape (`\n`, `\t`, `\u0041`, …). */
const ESCAPE_LETTER = /[bfnrtu"/\\]/;

/**
 * True when the character at `index` belongs to the value around it for the purpose of a token boundary:
 * it is in `charClass` and is not the letter of an escape sequence such as the `n` of `\n`. Positions
 * outside the text are never token characters.
 */
export function isTokenCharAt(text: string, index: number, charClass: RegExp = TOKEN_CHAR): boolean {
  if (index < 0 || index >= text.length) return false;
  const c = text[index]!;
  if (!charClass.test(c)) return false;
  return !(index > 0 && text[index - 1] === '\\' && ESCAPE_LETTER.test(c));
}

/**
 * True when [start, end) stands alone: the characters just before and just after are not in `charClass`
 * (escape letters such as the `n` of `\n` do not count).
 */
export function standsAlone(
  text: string,
  start: number,
  end: number,
  charClass: RegExp = TOKEN_CHAR,
): boolean {
  return !isTokenCharAt(text, start - 1, charClass) && !charClass.test(text[end] ?? ' ');
}

/** What {@link regexDetector} builds a detector from. */
export interface RegexDetectorSpec {
  id: string;
  category: DetectorCategory;
  description: string;
  keywords: readonly string[];
  /** A global regular expression; give it the `d` flag when `group` is set. */
  pattern: RegExp;
  /** The capture group that holds the value (default: the whole match). */
  group?: number;
  /** The value may not touch a character of this class on either side (default {@link TOKEN_CHAR}; `null`: no check). */
  boundary?: RegExp | null;
  /** Further checks on the value (checksum, entropy); `start`/`end` locate it in `text`. */
  accept?(value: string, text: string, start: number, end: number): boolean;
  /**
   * Where a match starts relative to a keyword the prefilter found: `[0]` when every match starts with one of
   * the keywords (`ghp_…`), `[8, 7]` when it starts that many characters before (`https://` before
   * `hooks.slack.com`). With it the pattern runs only there, anchored (sticky), instead of over the whole text.
   */
  startsAt?: readonly number[];
}

/**
 * A detector that reports the matches of one regular expression (or one capture group of them) that stand
 * alone and pass `accept`. Throws `TypeError` at construction when `pattern` is not global, or has a group
 * without the `d` flag.
 */
export function regexDetector(spec: RegexDetectorSpec): ScanDetector {
  if (!spec.pattern.global) throw new TypeError(`${spec.id}: pattern must have the g flag`);
  if (spec.group !== undefined && !spec.pattern.hasIndices)
    throw new TypeError(`${spec.id}: a pattern with a value group needs the d flag`);
  const boundary = spec.boundary === undefined ? TOKEN_CHAR : spec.boundary;
  const keywords = spec.keywords.map((k) => k.toLowerCase());
  const rangeOf = (m: RegExpExecArray, text: string): TextRange | null => {
    let start = m.index;
    let end = start + m[0].length;
    if (spec.group !== undefined) {
      const span = m.indices?.[spec.group];
      if (!span) return null;
      [start, end] = span;
    }
    if (boundary && !standsAlone(text, start, end, boundary)) return null;
    if (spec.accept && !spec.accept(text.slice(start, end), text, start, end)) return null;
    return { start, end };
  };
  return scanDetector({
    id: spec.id,
    category: spec.category,
    description: spec.description,
    keywords: spec.keywords,
    *findIn(scan) {
      const { text } = scan;
      const positions = spec.startsAt ? scan.positionsOf(keywords) : undefined;
      if (!positions) {
        for (const m of text.matchAll(spec.pattern)) {
          const range = rangeOf(m, text);
          if (range) yield range;
        }
        return;
      }
      const sticky = new RegExp(spec.pattern.source, `${spec.pattern.flags}y`);
      let after = 0;
      for (const at of positions) {
        for (const offset of spec.startsAt!) {
          const from = at - offset;
          if (from < after || from < 0) continue;
          sticky.lastIndex = from;
          const m = sticky.exec(text);
          const range = m && rangeOf(m, text);
          if (!range || range.start < after) continue;
          after = range.end;
          yield range;
          break;
        }
      }
    },
  });
}

/**
 * Several patterns' ranges as one list a detector may return: sorted by start, and where two overlap the one
 * that starts first (then the longer) kept.
 */
export function orderedRanges(ranges: TextRange[]): TextRange[] {
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: TextRange[] = [];
  for (const r of ranges) {
    const last = kept[kept.length - 1];
    if (last && r.start < last.end) continue;
    kept.push(r);
  }
  return kept;
}
