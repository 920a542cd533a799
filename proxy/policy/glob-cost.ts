/**
 * Whether a policy glob can be matched in reasonable time. Globs (guard rules through minimatch, column rules
 * through column-rules.ts) become backtracking regular expressions: each `*` followed by more text is a lazy
 * `[^/]*?` (`.*`) the engine retries at every position when the rest fails, so k such wildcards cost about
 * n^k steps on an n-character value (measured here: `*a*a*b` 8 s and `*a*a*a*b` 33 s on a 1,000–4,000
 * character word), and `{a,b}` groups multiply into 2^k separate globs (20 groups: a million). A team policy
 * is applied by every engine without its person's say, so its parser refuses such globs as it refuses custom
 * regular expressions that repeat a repeated group (document.ts, safe-regex2).
 */

/** Most `*` wildcards followed by more text in one path segment (or word) of a glob. */
export const MAX_GLOB_WILDCARDS = 2;
/** Most `{…}` groups in one glob. */
export const MAX_GLOB_BRACES = 3;

/**
 * Why `pattern` would be slow to match, or null when it is fine. A segment that is exactly `**` (any
 * directories) does not count, nor does a `*` that ends a segment (it matches the rest at once); a run of
 * `*` counts once. Segments are split at `/` and, for `schema.table.column` patterns, at `separator`.
 */
export function globProblem(pattern: string, separator: RegExp = /\//): string | null {
  const braces = (pattern.match(/\{/g) ?? []).length;
  if (braces > MAX_GLOB_BRACES)
    return `has ${braces} {…} groups, which expand into too many patterns; use at most ${MAX_GLOB_BRACES} (or several entries)`;
  for (const segment of pattern.split(separator)) {
    if (segment === '**') continue;
    const wildcards = (segment.replace(/\*+$/, '').match(/\*+/g) ?? []).length;
    if (wildcards > MAX_GLOB_WILDCARDS)
      return `has ${wildcards} * wildcards followed by more text in "${segment}", which can take polynomial time to match a long value; use at most ${MAX_GLOB_WILDCARDS} per part (or several entries)`;
  }
  return null;
}
