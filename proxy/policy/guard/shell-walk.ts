/**
 * Walking tree-sitter-bash's syntax tree for every simple command that would run: through pipelines, lists
 * (`;`, `&&`, `||`, `&`), subshells, `{ …; }` groups, compound statements (if/for/while/case, function
 * bodies), command substitutions (`$(…)`, backticks, also inside strings, `${x:-$(…)}` and here-documents),
 * process substitutions and variable assignments' values. Node types are those of tree-sitter-bash's grammar
 * (src/node-types.json). The walk is bounded: past `limits.depth` nested nodes or `limits.nodes` visited nodes
 * it stops and reports why, keeping what it found.
 */
import type { Node } from 'web-tree-sitter';
import { type Word, wordOf } from './shell-words.js';

/** What a command's standard input is, when the classifier can tell. */
export interface Stdin {
  /** The text fed (here-document body, here-string, `echo` piped in). */
  text?: string;
  /** A file redirected in (`< schema.sql`, `cat schema.sql |`), as written. */
  file?: string;
}

/** One simple command as found in the tree, before wrappers are looked through. */
export interface RawCommand {
  /** The words after quote removal, name first; leading `NAME=value` assignments left out. */
  words: Word[];
  /** Wrappers and shells already looked through (from an outer `sh -c` or `eval`). */
  via: string[];
  /** Its stdin comes, through the pipeline, from `curl`/`wget`. */
  piped: boolean;
  /** An argument's `$(…)`/`<(…)` ran `curl`/`wget` (`bash <(curl …)`). */
  argsFromDownload: boolean;
  stdin?: Stdin;
  /** Files its output redirections write (`> f`, `>> f`, `&> f`), as written; a group's apply to each command in it. */
  writes: Word[];
}

/** Where the walk is: what every command found here inherits. */
export interface WalkScope {
  via: string[];
  piped: boolean;
  stdin?: Stdin;
  /** Output redirections of an enclosing statement (`{ a; b; } > out`). */
  writes?: Word[];
}

/** Receives what the walk finds; owned by the classifier. */
export interface WalkSink {
  command(raw: RawCommand): void;
  /** How many commands were found so far (to look at the ones a part of the tree added). */
  count(): number;
  /** Names of the commands found since `from`. */
  namesSince(from: number): string[];
  /** The last command found since `from` when it is the only one, for pipes into psql (`cat f.sql | psql`). */
  onlySince(from: number): { name: string; args: string[]; stdin?: Stdin } | undefined;
  error(message: string): void;
  /** True once no more commands are taken (the walk then stops). */
  full(): boolean;
  /**
   * Entering a subshell (`( … )`, `$( … )`, `<( … )`, a stage of a pipeline): returns a function that, on
   * leaving it, undoes what `cd` did inside, as the shell would.
   */
  subshell(): () => void;
  /** Text the grammar leaves unparsed but the shell runs (backticks in a here-document): parse and walk it. */
  script(text: string, scope: WalkScope): void;
}

/** Bounds on one walk. */
export interface WalkLimits {
  /** Deepest nesting of syntax nodes walked. */
  depth: number;
  /** Most syntax nodes visited. */
  nodes: number;
}

const DOWNLOADERS = new Set(['curl', 'wget']);

/** Node types of tree-sitter-bash that are whole statements (commands that run), not parts of one. */
const STATEMENTS = new Set([
  'command',
  'redirected_statement',
  'subshell',
  'compound_statement',
  'negated_command',
  'if_statement',
  'for_statement',
  'c_style_for_statement',
  'while_statement',
  'case_statement',
  'function_definition',
  'test_command',
  'declaration_command',
  'unset_command',
  'variable_assignment',
]);

/** Walks one parsed command line; one instance per parse. */
export class ShellWalker {
  private visited = 0;
  private stopped = false;

  constructor(
    private readonly sink: WalkSink,
    private readonly limits: WalkLimits,
  ) {}

  /** Walks `node` and everything under it. */
  walk(node: Node, scope: WalkScope, depth = 0): void {
    if (this.stopped) return;
    if (this.sink.full()) {
      this.stopped = true;
      return;
    }
    if (++this.visited > this.limits.nodes) {
      this.stop(`more than ${this.limits.nodes} syntax nodes: the rest is not classified`);
      return;
    }
    if (depth > this.limits.depth) {
      this.stop(`nested deeper than ${this.limits.depth} levels: the rest is not classified`);
      return;
    }
    switch (node.type) {
      case 'command':
        this.command(node, scope, depth);
        return;
      case 'redirected_statement':
        this.redirected(node, scope, depth);
        return;
      case 'subshell':
      case 'command_substitution':
      case 'process_substitution': {
        const leave = this.sink.subshell();
        this.children(node, scope, depth);
        leave();
        return;
      }
      case 'pipeline':
        this.stages(
          node.namedChildren.filter((c): c is Node => c !== null),
          scope,
          depth,
          false,
        );
        return;
      default:
        this.children(node, scope, depth);
    }
  }

  private children(node: Node, scope: WalkScope, depth: number): void {
    // child(i) rather than `children`: four times faster in web-tree-sitter (no array of wrappers).
    const count = node.childCount;
    for (let i = 0; i < count; i++) {
      const child = node.child(i);
      if (child) this.walk(child, scope, depth + 1);
    }
  }

  private stop(message: string): void {
    if (!this.stopped) this.sink.error(message);
    this.stopped = true;
  }

  /** A pipeline's stages in order: a stage after a download reads it; `cat f |`/`echo … |` feed the next one's stdin. */
  private stages(
    stages: Node[],
    scope: WalkScope,
    depth: number,
    downloadBefore: boolean,
    first?: Node,
  ): void {
    let download = downloadBefore;
    let feed: Stdin | undefined = scope.stdin;
    for (const stage of first ? [first, ...stages] : stages) {
      if (stage.type === 'comment') continue;
      const from = this.sink.count();
      const leave = this.sink.subshell();
      this.walk(stage, { ...scope, piped: scope.piped || download, stdin: feed }, depth + 1);
      leave();
      if (this.sink.namesSince(from).some((n) => DOWNLOADERS.has(n))) download = true;
      feed = fedBy(this.sink.onlySince(from));
    }
  }

  /** `cmd <redirects>`: here-documents, here-strings and `< file` become the command's stdin. */
  private redirected(node: Node, scope: WalkScope, depth: number): void {
    const body = node.childForFieldName('body');
    const redirects = node.childrenForFieldName('redirect').filter((c): c is Node => c !== null);
    let pipeline: Node | undefined;
    const after: Node[] = [];
    const recovered: Word[][] = [];
    for (const r of redirects) {
      if (r.type === 'heredoc_redirect') this.heredocBackticks(r, scope);
      // tree-sitter-bash hangs `cat <<EOF | psql`'s pipeline, and `cat <<EOF && next`'s next command, off the
      // here-document redirect: they run after the command, so they are walked after it.
      for (let i = 0; i < r.namedChildCount; i++) {
        const c = r.namedChild(i);
        if (!c) continue;
        if (c.type === 'pipeline' || c.type === 'list') pipeline ??= c;
        else if (r.type === 'heredoc_redirect' && STATEMENTS.has(c.type)) after.push(c);
        else this.walk(c, scope, depth + 1);
      }
    }
    // The grammar also hangs the rest of a here-document's line (`cat <<EOF > f`) off its redirect.
    const all = redirects.flatMap((r) =>
      r.type === 'heredoc_redirect'
        ? [r, ...r.namedChildren.filter((c): c is Node => !!c && c.type.endsWith('_redirect'))]
        : [r],
    );
    for (const r of all) recovered.push(...this.afterSeparators(r, scope, depth));
    const stdin = stdinOf(all) ?? scope.stdin;
    const writes = [...(scope.writes ?? []), ...writesOf(all)];
    if (pipeline?.type === 'pipeline' && body) {
      const rest = pipeline.namedChildren.filter((c): c is Node => c !== null);
      this.stages(rest, { ...scope, stdin, writes }, depth, false, body);
      return;
    }
    if (body) this.walk(body, { ...scope, stdin, writes }, depth + 1);
    if (pipeline) this.walk(pipeline, scope, depth + 1);
    for (const c of after) this.walk(c, scope, depth + 1);
    for (const words of recovered) this.emit(words, [], scope, this.sink.count());
  }

  /**
   * tree-sitter-bash parses `$(…)` in an unquoted here-document's body but leaves backticks as text; the shell
   * runs both (bash manual, 3.6.6 "Here Documents"), so backtick commands are parsed from the text here.
   */
  private heredocBackticks(redirect: Node, scope: WalkScope): void {
    const start = redirect.namedChildren.find((c) => c?.type === 'heredoc_start')?.text ?? '';
    if (/['"\\]/.test(start)) return;
    const body = redirect.namedChildren.find((c) => c?.type === 'heredoc_body');
    if (!body) return;
    // The body's text with what the grammar did parse ($(…), ${…}) blanked out (offsets are UTF-16 units).
    let text = body.text;
    for (const child of body.namedChildren) {
      if (!child || child.type === 'heredoc_content') continue;
      const from = child.startIndex - body.startIndex;
      const to = child.endIndex - body.startIndex;
      text = text.slice(0, from) + ' '.repeat(Math.max(0, to - from)) + text.slice(to);
    }
    for (const m of text.matchAll(/`((?:\\.|[^`\\])*)`/g)) this.sink.script(m[1] ?? '', scope);
  }

  /** One simple command: its substitutions first (they run first), then the command itself. */
  private command(node: Node, scope: WalkScope, depth: number): void {
    const words: Word[] = [];
    const redirects: Node[] = [];
    let from = this.sink.count();
    const count = node.childCount;
    for (let i = 0; i < count; i++) {
      const child = node.child(i);
      if (!child) continue;
      const type = child.type;
      if (type === 'variable_assignment' || type.endsWith('_redirect')) {
        if (type.endsWith('_redirect')) redirects.push(child);
        for (const c of child.namedChildren) if (c) this.walk(c, scope, depth + 1);
        continue;
      }
      if (type === 'comment' || type === '$' || !child.isNamed) continue;
      if (isSeparatorError(child)) {
        // `tail; rm -rf x` after a here-document (tree-sitter-bash#346): the `;` is an ERROR inside the
        // command and the next command's words follow as arguments. Split there.
        this.emit(words.splice(0), redirects.splice(0), scope, from);
        from = this.sink.count();
        continue;
      }
      this.walk(child, scope, depth + 1);
      words.push(wordOf(child));
    }
    this.emit(words, redirects, scope, from);
  }

  /**
   * `cat <<'EOF'; rm -rf x`, `cat <<'EOF' > f; rm x` (tree-sitter-bash#346): the grammar puts the `;` (or `|`)
   * in an ERROR inside the redirect and the next command's words after it as the redirect's arguments or
   * destinations. They are commands all the same: one word list per separator.
   */
  private afterSeparators(redirect: Node, scope: WalkScope, depth: number): Word[][] {
    const groups: Word[][] = [];
    for (let i = 0; i < redirect.namedChildCount; i++) {
      const c = redirect.namedChild(i);
      if (!c) continue;
      if (isSeparatorError(c)) groups.push([]);
      else if (
        groups.length > 0 &&
        ['argument', 'destination'].includes(redirect.fieldNameForNamedChild(i) ?? '')
      ) {
        this.walk(c, scope, depth + 1);
        groups.at(-1)!.push(wordOf(c));
      }
    }
    return groups;
  }

  /** Hands one command's words to the sink; `from` is where its substitutions' commands start. */
  private emit(words: Word[], redirects: Node[], scope: WalkScope, from: number): void {
    if (words.length === 0) return;
    const argsFromDownload = this.sink.namesSince(from).some((n) => DOWNLOADERS.has(n));
    this.sink.command({
      words,
      via: scope.via,
      piped: scope.piped,
      argsFromDownload,
      stdin: stdinOf(redirects) ?? scope.stdin,
      writes: [...(scope.writes ?? []), ...writesOf(redirects)],
    });
  }
}

/** An ERROR node that holds only a command separator (`;`, `&`, `&&`, `||`, `|`). */
function isSeparatorError(node: Node): boolean {
  return node.type === 'ERROR' && /^\s*(;|&|&&|\|\||\|&?)\s*$/.test(node.text);
}

/** Operators that open their destination for writing (bash manual, 3.6 "Redirections"). */
const WRITE_OPERATORS = new Set(['>', '>>', '&>', '&>>', '>|', '<>', '>&']);

/** Files output redirections write: `> f`, `2>> log`, `&> f`, `>& f` (not `>&2`, a descriptor). */
function writesOf(redirects: Node[]): Word[] {
  const writes: Word[] = [];
  for (const r of redirects) {
    if (r.type !== 'file_redirect') continue;
    const op = r.children.find((c) => c && !c.isNamed)?.text ?? '';
    const destination = r.childForFieldName('destination');
    if (!destination || !WRITE_OPERATORS.has(op)) continue;
    if (op === '>&' && (destination.type === 'number' || destination.text === '-')) continue;
    writes.push(wordOf(destination));
  }
  return writes;
}

/** Stdin from redirections: the last of `<<EOF`, `<<<`, `< file` wins, as in the shell. */
function stdinOf(redirects: Node[]): Stdin | undefined {
  let stdin: Stdin | undefined;
  for (const r of redirects) {
    if (r.type === 'heredoc_redirect') {
      const body = r.namedChildren.find((c) => c?.type === 'heredoc_body');
      if (body) stdin = { text: body.text };
    } else if (r.type === 'herestring_redirect') {
      const last = r.lastNamedChild;
      if (last) stdin = { text: wordOf(last).value };
    } else if (r.type === 'file_redirect') {
      const op = r.children.find((c) => c && !c.isNamed)?.text;
      const destination = r.childForFieldName('destination');
      const fd = r.childForFieldName('descriptor')?.text;
      if (op === '<' && destination && (fd === undefined || fd === '0'))
        stdin = { file: wordOf(destination).value };
    }
  }
  return stdin;
}

/** What a pipeline stage feeds the next one, when it is plain: `cat FILE`, `cat` of its stdin, `echo`/`printf` text. */
function fedBy(only: { name: string; args: string[]; stdin?: Stdin } | undefined): Stdin | undefined {
  if (!only) return undefined;
  if (only.name === 'cat') {
    if (only.args.length === 0) return only.stdin;
    if (only.args.length === 1) return { file: only.args[0] };
  }
  if (only.name === 'echo' || only.name === 'printf') return { text: only.args.join(' ') };
  return undefined;
}
