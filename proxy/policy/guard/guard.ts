/**
 * The Guard (types.ts) that enforcement points ask: it classifies an operation with the injected
 * classifiers (sql.ts, shell.ts, file-tools.ts) and decides it by the rules of the policy in force. It takes
 * the policy through a function so each operation is decided by the policy current at that moment.
 */
import { describeError } from '../../common/errors.js';
import type { CompiledPolicy } from '../compile.js';
import { decideWithoutFacts } from './rules.js';
import type {
  FileFacts,
  Guard,
  GuardContext,
  GuardDecision,
  OperationFacts,
  ShellFacts,
  SqlFacts,
} from './types.js';

/**
 * What a classifier throws when its parser could not be loaded (component.ts): unlike a classifier failing
 * on one input, nothing it would say can be known, so the Guard decides without facts where the rules allow
 * that and rethrows this where a rule needs them (the enforcement point then refuses, naming `message`).
 */
export class ClassifierUnavailableError extends Error {
  override readonly name = 'ClassifierUnavailableError';
}

/**
 * The classifiers a Guard composes; each must not throw on any input (a Guard survives it if one does), except
 * {@link ClassifierUnavailableError} from one whose parser is not loaded.
 */
export interface GuardClassifiers {
  /** PostgreSQL statements (sql.ts `SqlClassifier`). */
  sql: { classify(text: string): SqlFacts };
  /** Shell command lines (shell.ts `ShellClassifier`). */
  shell: { classify(command: string, context: { cwd?: string; home: string }): ShellFacts };
  /** File tool calls (file-tools.ts `classifyFileTool`); undefined for a tool that writes no file. */
  fileTool(tool: string, input: unknown, context: { cwd?: string; home: string }): FileFacts | undefined;
}

/** Claude Code's shell tool, whose input is `{ command: string, … }`. */
export const BASH_TOOL = 'Bash';

/**
 * Builds a Guard. SQL is classified once per call (the SQL classifier caches by text); a `Bash` call's
 * `psql` SQL (`ShellFacts.sql`) is classified by the SQL classifier too, into `facts.sql`. A tool call that
 * is neither `Bash` with a string `command` nor a file tool is `{ kind: 'tool' }`.
 * @param policy the policy in force (e.g. `() => watcher.current()`), read once per operation
 */
export function createGuard(
  policy: () => Pick<CompiledPolicy, 'guard'>,
  classifiers: GuardClassifiers,
): Guard {
  const sqlFacts = (text: string): SqlFacts => {
    try {
      return classifiers.sql.classify(text);
    } catch (error) {
      return unknownSql(`the SQL classifier failed: ${describeError(error)}`);
    }
  };
  const decide = (facts: OperationFacts, context: GuardContext) => ({
    facts,
    decision: policy().guard.decide(facts, context),
  });
  /** An operation whose classifier is unavailable: decided by rules that need no facts, else `error`. */
  const withoutFacts = (
    facts: OperationFacts & { kind: 'sql' | 'bash' },
    error: ClassifierUnavailableError,
    context: GuardContext,
  ): { facts: OperationFacts; decision: GuardDecision } => {
    const decision = decideWithoutFacts(policy().guard, facts.kind, context);
    if (!decision) throw error;
    return { facts, decision };
  };
  return {
    sql(text, context) {
      if (context.sqlUnreadable)
        return decide({ kind: 'sql', text, sql: unknownSql(context.sqlUnreadable) }, context);
      let facts: SqlFacts;
      try {
        facts = classifiers.sql.classify(text);
      } catch (error) {
        if (error instanceof ClassifierUnavailableError)
          return withoutFacts({ kind: 'sql', text, sql: unknownSql(error.message) }, error, context);
        facts = unknownSql(`the SQL classifier failed: ${describeError(error)}`);
      }
      return decide({ kind: 'sql', text, sql: facts }, context);
    },
    toolCall(tool, input, context) {
      const where = { cwd: context.cwd, home: context.home };
      const command = (input as { command?: unknown } | null)?.command;
      if (tool === BASH_TOOL && typeof command === 'string') {
        let shell: ShellFacts;
        try {
          shell = classifiers.shell.classify(command, where);
        } catch (error) {
          if (error instanceof ClassifierUnavailableError) {
            const unknown: ShellFacts = { commands: [], sql: [], parseError: error.message };
            return withoutFacts({ kind: 'bash', command, shell: unknown, sql: [] }, error, context);
          }
          shell = {
            commands: [],
            sql: [],
            parseError: `the shell classifier failed: ${describeError(error)}`,
          };
        }
        return decide({ kind: 'bash', command, shell, sql: shell.sql.map(sqlFacts) }, context);
      }
      let file: FileFacts | undefined;
      try {
        file = classifiers.fileTool(tool, input, where);
      } catch {
        file = undefined;
      }
      return decide(file ? { kind: 'file', file } : { kind: 'tool', tool }, context);
    },
  };
}

/** Facts for SQL that could not be classified: `unknown`, which the default rules hold for approval. */
export function unknownSql(why: string): SqlFacts {
  return {
    effect: 'unknown',
    statements: [],
    reads: [],
    writes: [],
    noWhere: false,
    functions: [],
    copyProgram: false,
    alterDrop: false,
    commands: [],
    parseError: why,
  };
}
