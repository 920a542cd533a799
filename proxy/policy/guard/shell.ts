/**
 * The shell command classifier (issue 17, point 1): a Claude Code `Bash` tool call's command line into the
 * simple commands it would run (`ShellFacts`), parsed by the real bash grammar (tree-sitter-bash through
 * web-tree-sitter), looking through pipelines, lists, subshells, groups, substitutions, `sh -c`/`bash -c`/
 * `zsh -c` strings, `eval`, `find -exec` and wrappers (see shell-wrappers.ts), with per-command flag tables
 * (shell-commands.ts).
 *
 * Paths follow `cd`/`pushd` earlier on the line (`cd / && rm -rf *` removes `/*`), undone on leaving a subshell,
 * a pipeline stage, a substitution or an `sh -c` string; after `cd -`, `popd` or `cd "$X"` relative paths are
 * not resolved (left out of `paths`, still in `args`).
 *
 * Bounds (what happens past them: `parseError` says so and the commands found until then are kept):
 * the first `MAX_INPUT_CHARS` characters of a line are parsed; at most `MAX_NESTING` command strings inside
 * each other (`bash -c "bash -c '…'"`, `eval`); at most `MAX_COMMANDS` commands; the syntax walk stops past
 * `MAX_DEPTH` nested nodes or `MAX_NODES` visited nodes (each parse).
 */
import type { Node, Parser, Tree } from 'web-tree-sitter';
import { analyseCommand, type PathContext } from './shell-facts.js';
import { newShellParser } from './shell-parser.js';
import { type RawCommand, ShellWalker, type Stdin, type WalkScope, type WalkSink } from './shell-walk.js';
import { literal, repairAnsiC, type Word } from './shell-words.js';
import { unwrap } from './shell-wrappers.js';
import type { ShellCommandFacts, ShellFacts } from './types.js';

export { loadShellParser } from './shell-parser.js';

/** Characters of one command line parsed (128 Ki UTF-16 units); the rest is reported, not classified. */
export const MAX_INPUT_CHARS = 128 * 1024;
/** `$'…'` strings respelled and parsed again, at most, per command string. */
const MAX_REPAIRS = 16;
/** Characters handed to the parser at a time. */
const PARSE_CHUNK = 8192;
/** Command strings parsed inside each other (`sh -c`, `eval`, `env -S`), and `find -exec`/`docker exec` hops. */
export const MAX_NESTING = 8;
/** Commands reported for one line. */
export const MAX_COMMANDS = 1000;
/** Syntax nodes nested inside each other that the walk follows. */
export const MAX_DEPTH = 400;
/** Syntax nodes one walk visits. */
export const MAX_NODES = 50_000;

/** Interpreters that run what an argument gives them (`bash <(curl …)`, `python <(wget -O- …)`). */
const RUNS_ARGUMENT = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'source',
  '.',
  'python',
  'python3',
  'perl',
  'ruby',
  'node',
]);

/** One `classify` call's findings. */
class Findings {
  readonly commands: ShellCommandFacts[] = [];
  readonly sql: string[] = [];
  readonly errors: string[] = [];
  /** Set once MAX_COMMANDS were taken. */
  full = false;
  /** Args and stdin of each command, parallel to `commands`, for pipes into psql. */
  private readonly extra: Array<{ args: string[]; stdin?: Stdin }> = [];

  add(facts: ShellCommandFacts, stdin: Stdin | undefined): void {
    if (this.commands.length >= MAX_COMMANDS) {
      this.error(`more than ${MAX_COMMANDS} commands: the rest are not listed`);
      this.full = true;
      return;
    }
    this.commands.push(facts);
    this.extra.push({ args: facts.args, stdin });
  }
  count(): number {
    return this.commands.length;
  }
  namesSince(from: number): string[] {
    return this.commands.slice(from).map((c) => c.name);
  }
  onlySince(from: number): { name: string; args: string[]; stdin?: Stdin } | undefined {
    if (this.commands.length !== from + 1) return undefined;
    return { name: this.commands[from]!.name, ...this.extra[from]! };
  }
  error(message: string): void {
    if (!this.errors.includes(message)) this.errors.push(message);
  }
}

/** Where a line is being classified, and how deep in nested command strings. */
interface Run {
  findings: Findings;
  context: PathContext;
  /** The working directory as `cd`/`pushd` earlier on the line left it; undefined when unknown (`cd "$X"`). */
  cwd: string | undefined;
}

/**
 * Classifies shell command lines. Construct after `await loadShellParser()`; one instance may be reused for
 * any number of lines (it holds one Wasm parser; `dispose()` frees it).
 */
export class ShellClassifier {
  private readonly parser: Parser;

  /** @throws Error when `loadShellParser()` has not finished (a programming error, not bad input). */
  constructor() {
    this.parser = newShellParser();
  }

  /** Frees the parser's Wasm memory; the instance cannot classify afterwards. */
  dispose(): void {
    this.parser.delete();
  }

  /**
   * Every simple command `command` would run, with the SQL given to `psql`. Synchronous; never throws on its
   * input: text the grammar rejects, or past the bounds above, gives `parseError` with the commands found.
   * `context.readFile` (absolute path → text, or undefined) reads `psql -f` files; without it they are skipped.
   */
  classify(command: string, context: PathContext): ShellFacts {
    const findings = new Findings();
    const run: Run = { findings, context, cwd: context.cwd };
    let text = command;
    if (text.length > MAX_INPUT_CHARS) {
      findings.error(
        `command longer than ${MAX_INPUT_CHARS} characters: only the first ${MAX_INPUT_CHARS} are classified`,
      );
      text = text.slice(0, MAX_INPUT_CHARS);
    }
    try {
      this.parseAndWalk(text, { via: [], piped: false }, run, 0);
    } catch (err) {
      // Not expected (every bound above is checked); if it happens, the line is reported, not thrown.
      findings.error(`the classifier failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const facts: ShellFacts = { commands: findings.commands, sql: findings.sql };
    if (findings.errors.length) facts.parseError = findings.errors.join('; ');
    return facts;
  }

  /** Parses `text`, respelling `$'…'` strings the grammar misreads (see repairAnsiC); null if the parser fails. */
  private parse(line: string, run: Run): Tree | null {
    let text = line;
    for (let attempt = 0; ; attempt++) {
      let tree: Tree | null = null;
      try {
        // A callback handing out bounded chunks: given a string, web-tree-sitter slices off the whole rest of
        // it for every chunk it reads, which makes long lines quadratic.
        tree = this.parser.parse((index) => text.slice(index, index + PARSE_CHUNK));
      } catch (err) {
        run.findings.error(`the shell parser failed: ${(err as Error).message}`);
      }
      if (!tree) return null;
      const repaired = attempt < MAX_REPAIRS ? repairAnsiC(tree.rootNode, text) : undefined;
      if (repaired === undefined) return tree;
      tree.delete();
      text = repaired;
    }
  }

  private parseAndWalk(text: string, scope: WalkScope, run: Run, level: number): void {
    const tree = this.parse(text, run);
    if (!tree) {
      run.findings.error('the shell parser returned nothing');
      return;
    }
    try {
      if (tree.rootNode.hasError)
        run.findings.error(syntaxError(tree.rootNode, level > 0 ? scope.via.at(-1) : undefined));
      // Commands go to the run's findings; this per-parse sink routes them with their nesting level.
      const sink: WalkSink = {
        command: (raw) => this.onCommand(raw, run, level),
        count: () => run.findings.count(),
        namesSince: (from) => run.findings.namesSince(from),
        onlySince: (from) => run.findings.onlySince(from),
        error: (message) => run.findings.error(message),
        full: () => run.findings.full,
        subshell: () => {
          const saved = run.cwd;
          return () => {
            run.cwd = saved;
          };
        },
        script: (text, inner) => {
          if (level + 1 > MAX_NESTING)
            run.findings.error(
              `command strings nested deeper than ${MAX_NESTING} levels: the rest is not classified`,
            );
          else this.parseAndWalk(text, inner, run, level + 1);
        },
      };
      new ShellWalker(sink, { depth: MAX_DEPTH, nodes: MAX_NODES }).walk(tree.rootNode, scope);
    } finally {
      tree.delete();
    }
  }

  /** Looks through wrappers; a command string is parsed again (bounded), a command is analysed. */
  private onCommand(raw: RawCommand, run: Run, level: number): void {
    const piped = raw.piped;
    const unwrapped = unwrap(raw.words, raw.via);
    if (unwrapped.kind === 'reparse') {
      if (level + 1 > MAX_NESTING) {
        run.findings.error(
          `command strings nested deeper than ${MAX_NESTING} levels: the rest is not classified`,
        );
        return;
      }
      // `bash -c "$(curl …)"`, `eval "$(wget -O- …)"`: the string is a download's output.
      const fromDownload = piped || (raw.argsFromDownload && unwrapped.text.dynamic);
      // A `cd` inside `sh -c '…'` (a child process) is undone after it; inside `eval` it is not.
      const saved = run.cwd;
      this.parseAndWalk(
        unwrapped.text.value,
        { via: unwrapped.via, piped: fromDownload, stdin: raw.stdin },
        run,
        level + 1,
      );
      if (unwrapped.via.at(-1) !== 'eval') run.cwd = saved;
      return;
    }
    const name = unwrapped.words[0] ?? literal('');
    const runsDownload =
      raw.argsFromDownload && !name.dynamic && RUNS_ARGUMENT.has(name.value.split('/').at(-1) ?? '');
    let words = unwrapped.words;
    const added = unwrapped.via.slice(raw.via.length);
    if (added.includes('xargs') && raw.stdin?.text !== undefined) {
      // `echo /etc | xargs rm -rf`: xargs appends the words it reads (when the line shows them).
      words = [...words, ...raw.stdin.text.split(/\s+/).filter(Boolean).map(literal)];
    }
    const context = { ...run.context, cwd: run.cwd };
    const analysis = analyseCommand(
      words,
      unwrapped.via,
      piped || runsDownload,
      raw.stdin,
      context,
      raw.writes,
    );
    if (CHANGES_DIRECTORY.has(analysis.facts.name)) {
      run.cwd = afterCd(analysis.facts, unwrapped.words.slice(1), run);
    }
    run.findings.add(analysis.facts, raw.stdin);
    run.findings.sql.push(...analysis.sql);
    const elsewhere = analysis.inner;
    const deeper = analysis.execs.length > 0 || elsewhere !== undefined;
    if (deeper && level + 1 > MAX_NESTING) {
      run.findings.error(`commands nested deeper than ${MAX_NESTING} levels: the rest is not classified`);
      return;
    }
    if (elsewhere && 'words' in elsewhere) {
      const via = [...unwrapped.via, elsewhere.via];
      this.onCommand({ ...raw, words: elsewhere.words, via }, run, level + 1);
    } else if (elsewhere) {
      const saved = run.cwd;
      this.parseAndWalk(
        elsewhere.text.value,
        { via: [...unwrapped.via, elsewhere.via], piped },
        run,
        level + 1,
      );
      run.cwd = saved;
    }
    for (const exec of analysis.execs) {
      const words: Word[] = exec.words.flatMap((w) =>
        w.value === '{}' && !w.dynamic ? exec.startPaths.map(literal) : [w],
      );
      const via = [...unwrapped.via, 'find'];
      this.onCommand({ ...raw, words, via, argsFromDownload: false }, run, level + 1);
    }
  }
}

const CHANGES_DIRECTORY = new Set(['cd', 'pushd', 'popd']);

/**
 * The directory a `cd` leaves the shell in (bash manual, 4.1 "cd"): no operand → home; an operand that resolves
 * → it; `cd -`, `popd`, `$VAR`, or anything else not known → undefined (later relative paths are not resolved).
 */
function afterCd(facts: ShellCommandFacts, args: Word[], run: Run): string | undefined {
  if (facts.name === 'popd') return undefined;
  const operands = args.filter((w) => w.dynamic || !w.value.startsWith('-') || w.value === '-');
  if (operands.length === 0) return facts.name === 'cd' ? run.context.home : run.cwd;
  const target = operands[0]!;
  if (target.dynamic || target.value === '-') return undefined;
  return facts.paths[0];
}

/** Where the grammar first gave up, as a message (`syntax error at line 1, column 9`). */
function syntaxError(root: Node, inside: string | undefined): string {
  const where = inside ? ` (inside ${inside})` : '';
  const stack = [root];
  for (let n = 0; stack.length > 0 && n < 10_000; n++) {
    const node = stack.pop()!;
    if (node.isError || node.isMissing) {
      // An ERROR node may start at the whitespace before it; its first token is where the trouble is.
      const { row, column } = (node.isError ? node.firstChild : null)?.startPosition ?? node.startPosition;
      const what = node.isMissing ? `missing ${JSON.stringify(node.type)}` : 'syntax error';
      return `${what} at line ${row + 1}, column ${column + 1}${where}`;
    }
    for (let i = node.childCount - 1; i >= 0; i--) {
      const child = node.child(i);
      if (child?.hasError || child?.isMissing) stack.push(child);
    }
  }
  return `syntax error${where}`;
}
