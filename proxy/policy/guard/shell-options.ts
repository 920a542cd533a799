/**
 * Option parsing for the shell classifier: the POSIX utility syntax (POSIX.1-2017, XBD 12.2 "Utility Syntax
 * Guidelines": `-abc` clusters, `-o value` / `-ovalue`, `--` ends options) plus GNU long options (`--name`,
 * `--name=value`, getopt_long), with per-command tables that name each option and say which ones take a value,
 * so that `psql -h host -c 'DROP TABLE x'` gives `host`'s value to `-h` and the SQL to `-c`.
 */
import type { Word } from './shell-words.js';

/** How one command (or one subcommand) reads its options. */
export interface OptionSpec {
  /** Short letter → canonical name(s) (`r` → `recursive`; `git branch -D` → `['delete', 'force']`). */
  short?: Record<string, string | string[]>;
  /** Long name (without dashes) → canonical name(s); names missing here are kept as written. */
  long?: Record<string, string | string[]>;
  /** Canonical names (or bare letters/names with no canonical form) that take a value. */
  values?: readonly string[];
  /** Go-style tools (terraform) and find: `-name` is one long option, not a cluster of letters. */
  singleDashLong?: boolean;
  /**
   * aws/gcloud style: a long option takes the next word as its value unless it is listed here (a boolean
   * switch) or the next word starts with `-`.
   */
  longBooleans?: readonly string[];
  /** Short clusters made only of these letters are positionals (chmod's `-w`, `-x` modes). */
  modeLetters?: RegExp;
}

/** What option parsing found. */
export interface ParsedOptions {
  flags: Set<string>;
  /** Options' values in order, by canonical name (`['command', 'DROP TABLE x']`). */
  values: Array<[string, Word]>;
  positionals: Word[];
  /** Index into the input of the first word not consumed, when stopped at the first positional. */
  rest: number;
}

function canonical(table: Record<string, string | string[]> | undefined, key: string): string[] {
  const found = table && Object.hasOwn(table, key) ? table[key] : undefined;
  if (found === undefined) return [key];
  return Array.isArray(found) ? found : [found];
}

/**
 * Parses `words` with `spec`. With `stopAtPositional`, stops before the first positional word (for global
 * options that come before a subcommand) and reports where in `rest`. Never throws; a value option at the end
 * of the words simply has no value.
 */
export function parseOptions(words: Word[], spec: OptionSpec, stopAtPositional = false): ParsedOptions {
  const out: ParsedOptions = { flags: new Set(), values: [], positionals: [], rest: words.length };
  const takesValue = new Set(spec.values ?? []);
  const booleans = spec.longBooleans ? new Set(spec.longBooleans) : undefined;
  let i = 0;
  const addLong = (name: string, inline: string | undefined) => {
    const names = canonical(spec.long, name);
    for (const n of names) out.flags.add(n);
    const first = names[0]!;
    if (inline !== undefined) {
      out.values.push([first, { value: inline, dynamic: false }]);
      return;
    }
    const next = words[i + 1];
    const heuristic = booleans && !booleans.has(first) && next && !next.value.startsWith('-');
    if ((takesValue.has(first) || heuristic) && next) {
      out.values.push([first, next]);
      i++;
    }
  };
  for (; i < words.length; i++) {
    const word = words[i]!;
    const text = word.value;
    if (word.dynamic || text === '-' || !text.startsWith('-') || text.length === 1) {
      if (stopAtPositional) {
        out.rest = i;
        return out;
      }
      out.positionals.push(word);
      continue;
    }
    if (text === '--') {
      if (stopAtPositional) {
        out.rest = i + 1;
        return out;
      }
      out.positionals.push(...words.slice(i + 1));
      break;
    }
    if (text.startsWith('--') || spec.singleDashLong) {
      const body = text.replace(/^--?/, '');
      const eq = body.indexOf('=');
      addLong(eq < 0 ? body : body.slice(0, eq), eq < 0 ? undefined : body.slice(eq + 1));
      continue;
    }
    if (spec.modeLetters?.test(text.slice(1))) {
      out.positionals.push(word);
      continue;
    }
    // A cluster of short options: `-rf`, `-ovalue`, `-o value`.
    for (let j = 1; j < text.length; j++) {
      const letter = text[j]!;
      const names = canonical(spec.short, letter);
      for (const n of names) out.flags.add(n);
      if (!takesValue.has(names[0]!)) continue;
      const attached = text.slice(j + 1);
      if (attached) out.values.push([names[0]!, { value: attached, dynamic: word.dynamic }]);
      else if (words[i + 1]) out.values.push([names[0]!, words[++i]!]);
      break;
    }
  }
  return out;
}

/** Merges a second parse's findings into the first (global options, then the subcommand's). */
export function mergeOptions(into: ParsedOptions, from: ParsedOptions): ParsedOptions {
  for (const f of from.flags) into.flags.add(f);
  into.values.push(...from.values);
  into.positionals.push(...from.positionals);
  return into;
}
