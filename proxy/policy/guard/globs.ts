/**
 * The glob matching guard rules use (minimatch: `*`, `?`, `[…]`, `{a,b}`, `**`), adapted to what each
 * condition names: single words (commands, functions, flags), table names (`schema.table`, where `*` stays
 * within a part), file paths (`~`, file-name patterns, relative patterns), branch names (where `*` crosses
 * `/`), and word sequences (`["**", "delete"]`).
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { Minimatch } from 'minimatch';

/** A compiled test of one string. */
export type StringTest = (value: string) => boolean;

const BASE = { dot: true, nonegate: true, nocomment: true } as const;

/** True when any of `patterns` matches the whole word (`DROP *`, `dblink*`, `rm`). */
export function wordsTest(patterns: readonly string[], nocase: boolean): StringTest {
  const compiled = patterns.map((p) => new Minimatch(p, { ...BASE, nocase }));
  return (value) => compiled.some((m) => m.match(value));
}

/**
 * Table patterns (`orders`, `public.*`, `*.orders`), case-insensitive, `*` within a part. A qualified pattern
 * sees an unqualified name as `public.<name>` (PostgreSQL's default search_path); an unqualified pattern
 * matches the table's own name in any schema. Of a three-part name (`db.schema.table`) the last two count.
 */
export function tablesTest(patterns: readonly string[]): StringTest {
  const compiled = patterns.map((pattern) => ({
    qualified: pattern.includes('.'),
    m: new Minimatch(pattern.replace('.', '/'), { ...BASE, nocase: true }),
  }));
  return (name) => {
    const parts = name.split('.');
    const table = parts[parts.length - 1]!;
    const schema = parts.length > 1 ? parts[parts.length - 2]! : 'public';
    return compiled.some(({ qualified, m }) => m.match(qualified ? `${schema}/${table}` : table));
  };
}

/**
 * Branch names (`main`, `release*`), where `*` matches `/` too (`release*` covers `release/1.2`): `:` may not
 * appear in a git ref name, so `/` is matched as `:` on both sides.
 */
export function branchesTest(patterns: readonly string[]): StringTest {
  const compiled = patterns.map((p) => new Minimatch(p.replaceAll('/', ':'), BASE));
  return (branch) => compiled.some((m) => m.match(branch.replaceAll('/', ':')));
}

/** Where relative path patterns are anchored. */
export interface PathBase {
  home: string;
  cwd?: string;
}

/**
 * Path patterns against absolute paths: `~/…` is under the home directory; `/…` is absolute; a pattern
 * without `/` matches the file name in any directory (`.env*`); any other relative pattern is under the
 * working directory (anywhere, when it is unknown). `dir/**` matches `dir` itself too. Case-sensitive.
 */
export function pathsTest(patterns: readonly string[], base: PathBase): StringTest {
  const compiled = patterns.flatMap((pattern) => {
    let full: string;
    if (pattern === '~' || pattern.startsWith('~/')) full = base.home + pattern.slice(1);
    else if (pattern.startsWith('/') || !pattern.includes('/')) full = pattern;
    else full = base.cwd ? resolve(base.cwd, pattern) : `**/${pattern}`;
    const variants = full.endsWith('/**') && full.length > 3 ? [full, full.slice(0, -3)] : [full];
    return variants.map((p) => new Minimatch(p, { ...BASE, matchBase: !pattern.includes('/') }));
  });
  return (path) => compiled.some((m) => m.match(path));
}

/**
 * Whether `path` lies outside `cwd`: not strictly below it (the directory itself counts as outside, so
 * `rm -rf .` asks), or unknown (no working directory, or a path holding `$`/`` ` `` that the shell would expand).
 */
export function outsideDirectory(path: string, cwd: string | undefined): boolean {
  if (cwd === undefined || /[$`]/.test(path) || !isAbsolute(path)) return true;
  const rel = relative(cwd, path);
  return rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel);
}

/**
 * Word patterns against a command's words, from the start (trailing words allowed): each a glob for one
 * word, `**` for any number of words. `["**", "delete"]` matches `compute instances delete vm`.
 */
export function sequenceTest(patterns: readonly string[]): (words: readonly string[]) => boolean {
  const compiled = patterns.map((p) => (p === '**' ? null : new Minimatch(p, BASE)));
  const at = (i: number, j: number, words: readonly string[]): boolean => {
    if (i === compiled.length) return true;
    const m = compiled[i];
    if (m === null) {
      for (let k = j; k <= words.length; k++) if (at(i + 1, k, words)) return true;
      return false;
    }
    return m !== undefined && j < words.length && m.match(words[j]!) && at(i + 1, j + 1, words);
  };
  return (words) => at(0, 0, words);
}
