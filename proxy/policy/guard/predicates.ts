/**
 * A rule's `match` (rule-schema.ts) compiled into a predicate over an operation's facts. Given conditions
 * must all hold; a list condition holds when any of its entries does (except `flags`: all of them). SQL
 * conditions hold for one statement of the message; shell conditions for one simple command of the line.
 */
import { forcedPush, writtenPaths } from './command-facts.js';
import {
  branchesTest,
  outsideDirectory,
  type PathBase,
  pathsTest,
  type StringTest,
  sequenceTest,
  tablesTest,
  wordsTest,
} from './globs.js';
import type { FileMatch, GuardMatch, ShellMatch, SqlMatch } from './rule-schema.js';
import type {
  FileFacts,
  GuardContext,
  OperationFacts,
  ShellCommandFacts,
  ShellFacts,
  SqlFacts,
  SqlStatementFacts,
} from './types.js';

/** Whether a rule matches an operation in its context. */
export type Predicate = (facts: OperationFacts, context: GuardContext) => boolean;

/** The statements SQL conditions are tried on ({@link sqlUnits}), memoised by the caller per facts object. */
export type SqlUnits = (facts: SqlFacts) => readonly SqlUnit[];

/**
 * Compiles a rule's `match`; a match naming no kind matches every operation (subject to connection/groups).
 * @param units {@link sqlUnits}, or a memoised version of it shared by a matcher's rules
 */
export function matchPredicate(match: GuardMatch, units: SqlUnits = sqlUnits): Predicate {
  const sql = match.sql ? sqlTest(match.sql, units) : undefined;
  const shell = match.shell ? shellTest(match.shell, units) : undefined;
  const file = match.file ? fileTest(match.file) : undefined;
  const anyKind = !sql && !shell && !file;
  const where = contextPredicate(match);
  return (facts, context) => {
    if (!where(context)) return false;
    if (anyKind) return true;
    switch (facts.kind) {
      case 'sql':
        return sql?.(facts.sql) ?? false;
      case 'bash':
        return shell?.(facts.shell, facts.sql, context) ?? false;
      case 'file':
        return file?.(facts.file, context) ?? false;
      default:
        return false;
    }
  };
}

/**
 * The part of a rule's match that reads no facts: its `connection` and `groups` conditions (true when it has
 * neither).
 */
export function contextPredicate(match: GuardMatch): (context: GuardContext) => boolean {
  const connections = match.connection ? new Set(match.connection) : undefined;
  const groups = match.groups ? new Set(match.groups) : undefined;
  return (context) => {
    if (connections && (context.connection === undefined || !connections.has(context.connection)))
      return false;
    return !groups || (context.identity?.groups ?? []).some((g) => groups.has(g));
  };
}

/** One statement as SQL conditions see it (a statement, or the message as a whole). */
export interface SqlUnit {
  effect: SqlStatementFacts['effect'];
  commands: readonly string[];
  reads: readonly string[];
  writes: readonly string[];
  noWhere: boolean;
  functions: readonly string[];
  copyProgram: boolean;
  alterDrop: boolean;
}

/**
 * The units SQL conditions are tried on: each statement; the message as a whole when it has no statements
 * or did not parse (so an `unknown` message is matched even when the classifier listed no statement).
 */
export function sqlUnits(facts: SqlFacts): SqlUnit[] {
  const units: SqlUnit[] = facts.statements.map((s) => ({ ...s, commands: [s.command] }));
  if (units.length === 0 || facts.parseError !== undefined)
    units.push({ ...facts, commands: facts.commands });
  return units;
}

function sqlTest(match: SqlMatch, units: SqlUnits): (facts: SqlFacts) => boolean {
  const tests: Array<(unit: SqlUnit) => boolean> = [];
  if (match.effect !== undefined) {
    const effects = new Set(Array.isArray(match.effect) ? match.effect : [match.effect]);
    tests.push((u) => effects.has(u.effect));
  }
  if (match.command) {
    const test = wordsTest(match.command, true);
    tests.push((u) => u.commands.some(test));
  }
  if (match.tables) {
    const test = tablesTest(match.tables);
    const where = match.tablesIn ?? 'any';
    tests.push(
      (u) => (where !== 'reads' && u.writes.some(test)) || (where !== 'writes' && u.reads.some(test)),
    );
  }
  if (match.functions) {
    const test = wordsTest(match.functions, true);
    tests.push((u) => u.functions.some(test));
  }
  for (const flag of ['noWhere', 'copyProgram', 'alterDrop'] as const) {
    const wanted = match[flag];
    if (wanted !== undefined) tests.push((u) => u[flag] === wanted);
  }
  return (facts) => units(facts).some((unit) => tests.every((test) => test(unit)));
}

type ShellTest = (shell: ShellFacts, sql: readonly SqlFacts[], context: GuardContext) => boolean;

function shellTest(match: ShellMatch, units: SqlUnits): ShellTest {
  const tests: Array<(c: ShellCommandFacts, base: PathBase) => boolean> = [];
  if (match.command) {
    const test = wordsTest(match.command, false);
    tests.push((c) => test(c.name));
  }
  if (match.flags) {
    const wanted = match.flags.map((f) => f.replace(/^-+/, ''));
    tests.push((c) => wanted.every((f) => c.flags.includes(f)));
  }
  if (match.subcommands) {
    const test = sequenceTest(match.subcommands);
    tests.push((c) => test([...c.subcommands, ...c.args]));
  }
  if (match.paths !== undefined || match.outsideCwd !== undefined) {
    const { paths, outsideCwd } = match;
    tests.push((c, base) => {
      const inPatterns = paths ? pathsTest(paths, base) : () => true;
      // Arguments the shell would expand are paths Glassbox cannot resolve: they count as outside.
      const unresolved = c.args.filter((a) => /[$`]/.test(a) && !c.paths.includes(a));
      return [...c.paths, ...unresolved].some(
        (p) => inPatterns(p) && (outsideCwd === undefined || outsideDirectory(p, base.cwd) === outsideCwd),
      );
    });
  }
  if (match.writes) {
    const patterns = match.writes;
    tests.push((c, base) => writtenPaths(c).some(pathsTest(patterns, base)));
  }
  if (match.pipedFromDownload !== undefined) {
    const wanted = match.pipedFromDownload;
    tests.push((c) => c.pipedFromDownload === wanted);
  }
  if (match.forcePushTo) {
    const test: StringTest = branchesTest(match.forcePushTo);
    tests.push((c) => {
      const push = forcedPush(c);
      return push !== null && (push.unnamed || push.branches.some(test));
    });
  }
  const inside = match.sqlInside ? sqlTest(match.sqlInside, units) : undefined;
  return (shell, sql, context) => {
    const base: PathBase = { home: context.home, cwd: context.cwd };
    if (inside && !sql.some(inside)) return false;
    return tests.length === 0 || shell.commands.some((c) => tests.every((test) => test(c, base)));
  };
}

function fileTest(match: FileMatch): (file: FileFacts, context: GuardContext) => boolean {
  const tools = match.tool ? new Set(match.tool) : undefined;
  return (file, context) => {
    if (tools && !tools.has(file.tool)) return false;
    if (!match.paths) return true;
    return file.paths.some(pathsTest(match.paths, { home: context.home, cwd: context.cwd }));
  };
}
