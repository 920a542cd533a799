/**
 * From one command's words (wrappers already looked through) to its facts: name and path, normalised flags,
 * subcommands, positionals, the files they name, and the SQL a `psql` is given.
 */

import { resolveToolPath } from './paths.js';
import { COMMANDS, type CommandSpec, mergeSpecs } from './shell-commands.js';
import { mergeOptions, type ParsedOptions, parseOptions } from './shell-options.js';
import { type Inner, innerCommand } from './shell-remote.js';
import type { Stdin } from './shell-walk.js';
import type { Word } from './shell-words.js';
import { baseName } from './shell-wrappers.js';
import type { ShellCommandFacts } from './types.js';

/** Where paths are resolved and files read. */
export interface PathContext {
  cwd?: string;
  home: string;
  readFile?: (path: string) => string | undefined;
}

/** One command's facts, and the pieces the classifier needs besides (SQL, find's -exec commands). */
export interface CommandAnalysis {
  facts: ShellCommandFacts;
  sql: string[];
  /** `find … -exec CMD … ;` commands, with `{}` standing for find's start paths (resolved). */
  execs: Array<{ words: Word[]; startPaths: string[] }>;
  /** What it runs in a container or on another host (`docker exec`, `kubectl exec`, `ssh`). */
  inner?: Inner;
}

const URL_LIKE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;
const FIND_EXEC = new Set(['-exec', '-execdir', '-ok', '-okdir']);

/**
 * A positional as an absolute path: `~`/`~/…`, `$HOME`/`${HOME}` → home, relative → against cwd, `..`
 * normalised. Undefined for what cannot be resolved honestly: words starting with another expansion
 * (`$DIR/x`), URLs, and relative paths when the working directory is unknown. Literal `$X` segments later
 * in a path are kept as written (`/tmp/$X`).
 */
export function resolvePath(word: Word, context: PathContext): string | undefined {
  let v = word.value;
  if (URL_LIKE.test(v)) return undefined;
  if (/^\$(HOME|\{HOME\})(\/|$)/.test(v)) v = context.home + v.slice(v.startsWith('${') ? 7 : 5);
  else if (word.dynamic && /^[$`<>]/.test(v)) return undefined;
  return resolveToolPath(v, context.cwd, context.home);
}

/** Splits find's `-exec … ;` / `-exec … {} +` segments out of its arguments. */
function splitFind(args: Word[]): { own: Word[]; execs: Word[][]; kinds: string[] } {
  const own: Word[] = [];
  const execs: Word[][] = [];
  const kinds: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w.dynamic || !FIND_EXEC.has(w.value)) {
      own.push(w);
      continue;
    }
    kinds.push(w.value.slice(1));
    const segment: Word[] = [];
    for (i++; i < args.length; i++) {
      const v = args[i]!.value;
      if (v === ';' || (v === '+' && segment.at(-1)?.value === '{}')) break;
      segment.push(args[i]!);
    }
    if (segment.length) execs.push(segment);
  }
  return { own, execs, kinds };
}

/** The leading positional words that are candidates for subcommands (up to the first option). */
function leadingWords(words: Word[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    if (w.dynamic || w.value.startsWith('-')) break;
    out.push(w.value);
  }
  return out;
}

function parseWithSpec(
  args: Word[],
  spec: CommandSpec | undefined,
): { parsed: ParsedOptions; subcommands: string[] } {
  if (!spec?.subcommands) return { parsed: parseOptions(args, spec?.options ?? {}), subcommands: [] };
  const global = parseOptions(args, spec.options ?? {}, true);
  const rest = args.slice(global.rest);
  const candidates = leadingWords(rest);
  const subcommands = candidates.slice(0, spec.subcommands(candidates));
  const subSpec = spec.sub?.[subcommands.join(' ')] ?? spec.sub?.[subcommands[0] ?? ''];
  const after = parseOptions(rest.slice(subcommands.length), mergeSpecs(spec.options, subSpec));
  return { parsed: mergeOptions({ ...global, positionals: [...global.positionals] }, after), subcommands };
}

/** The SQL `psql` is given: `-c`/`--command` strings, `-f`/`--file` contents, and stdin it can see. */
function psqlSql(parsed: ParsedOptions, stdin: Stdin | undefined, context: PathContext): string[] {
  const sql: string[] = [];
  const read = (file: Word) => {
    if (file.value === '-' || !context.readFile) return;
    const path = resolvePath(file, context);
    let text: string | undefined;
    try {
      text = path === undefined ? undefined : context.readFile(path);
    } catch {
      text = undefined; // unreadable: as if absent (the caller's reader should not throw, but may)
    }
    if (text !== undefined) sql.push(text);
  };
  for (const [name, value] of parsed.values) {
    if (name === 'command') sql.push(value.value);
    else if (name === 'file') read(value);
  }
  const usesStdin = !parsed.values.some(([n, v]) => n === 'command' || (n === 'file' && v.value !== '-'));
  if (usesStdin && stdin?.text !== undefined) sql.push(stdin.text);
  else if (usesStdin && stdin?.file !== undefined) read({ value: stdin.file, dynamic: false });
  return sql;
}

/** Analyses one command; `words[0]` is its name. Never throws. */
export function analyseCommand(
  words: Word[],
  via: string[],
  pipedFromDownload: boolean,
  stdin: Stdin | undefined,
  context: PathContext,
  writes: Word[] = [],
): CommandAnalysis {
  const head = words[0] ?? { value: '', dynamic: true };
  const written = head.value;
  const name = head.dynamic ? written : baseName(written);
  const spec = head.dynamic ? undefined : COMMANDS.get(name);
  let args = words.slice(1);
  let execs: Word[][] = [];
  const extraFlags: string[] = [];
  if (name === 'find') {
    const split = splitFind(args);
    args = split.own;
    execs = split.execs;
    extraFlags.push(...split.kinds);
  }
  const inner = head.dynamic ? undefined : innerCommand(name, args);
  if (inner) args = args.slice(0, args.length - inner.tail);
  const { parsed, subcommands } = parseWithSpec(args, spec);
  for (const f of extraFlags) parsed.flags.add(f);
  if (name === 'git' && subcommands[0] === 'push') {
    // git-push(1): `+src:dst` forces that ref, `:dst` deletes it.
    for (const p of parsed.positionals.slice(1)) {
      if (p.value.startsWith('+')) parsed.flags.add('force');
      if (p.value.startsWith(':') && p.value.length > 1) parsed.flags.add('delete');
    }
  }
  const positionals = parsed.positionals;
  const pathsApply = typeof spec?.paths === 'function' ? spec.paths(subcommands) : (spec?.paths ?? true);
  let pathWords = pathsApply ? positionals.slice(spec?.leadingNonPaths ?? 0) : [];
  if (name === 'find') {
    const start = positionals.findIndex((w) => ['(', '!', ')', ','].includes(w.value));
    pathWords = start < 0 ? pathWords : pathWords.slice(0, start);
  }
  const paths = [...new Set(pathWords.map((w) => resolvePath(w, context)).filter((p): p is string => !!p))];
  const facts: ShellCommandFacts = {
    name,
    via,
    flags: [...parsed.flags].sort(),
    subcommands,
    args: positionals.map((w) => w.value),
    paths,
    pipedFromDownload,
  };
  if (!head.dynamic && written.includes('/')) facts.path = written;
  if (head.dynamic) facts.unresolved = true;
  const targets = [...new Set(writes.map((w) => resolvePath(w, context)).filter((p): p is string => !!p))];
  if (targets.length) facts.writes = targets;
  return {
    facts,
    inner,
    sql: name === 'psql' ? psqlSql(parsed, stdin, context) : [],
    execs: execs.map((segment) => ({
      words: segment,
      startPaths: name === 'find' ? (paths.length ? paths : context.cwd ? [context.cwd] : []) : [],
    })),
  };
}
