/**
 * Guard facts built by hand (they are plain data, types.ts): what the classifiers would report for an
 * operation, so rule tests do not depend on the classifiers.
 */
import type {
  FileFacts,
  OperationFacts,
  ShellCommandFacts,
  SqlEffect,
  SqlFacts,
  SqlStatementFacts,
} from '../../proxy/policy/guard/types.js';

const RANK: SqlEffect[] = ['read', 'utility', 'insert', 'update', 'delete', 'dcl', 'ddl', 'unknown'];

/** One statement's facts; what is not given is harmless (a read of nothing). */
export function statement(facts: Partial<SqlStatementFacts> & Pick<SqlStatementFacts, 'effect' | 'command'>) {
  return {
    node: 'Stmt',
    reads: [],
    writes: [],
    noWhere: false,
    functions: [],
    copyProgram: false,
    alterDrop: false,
    ...facts,
  } satisfies SqlStatementFacts;
}

/** A Query message's facts from its statements, the message fields their union (the most dangerous effect). */
export function sqlFacts(...statements: SqlStatementFacts[]): SqlFacts {
  const union = (pick: (s: SqlStatementFacts) => string[]) => [...new Set(statements.flatMap(pick))].sort();
  return {
    effect: statements.reduce<SqlEffect>(
      (worst, s) => (RANK.indexOf(s.effect) > RANK.indexOf(worst) ? s.effect : worst),
      'read',
    ),
    statements,
    reads: union((s) => s.reads),
    writes: union((s) => s.writes),
    noWhere: statements.some((s) => s.noWhere),
    functions: union((s) => s.functions),
    copyProgram: statements.some((s) => s.copyProgram),
    alterDrop: statements.some((s) => s.alterDrop),
    commands: [...new Set(statements.map((s) => s.command))],
  };
}

/** A `sql` operation of one or more statements. */
export function sql(text: string, ...statements: SqlStatementFacts[]): OperationFacts {
  return { kind: 'sql', text, sql: sqlFacts(...statements) };
}

/** One simple command's facts. */
export function cmd(facts: Partial<ShellCommandFacts> & Pick<ShellCommandFacts, 'name'>): ShellCommandFacts {
  return { via: [], flags: [], subcommands: [], args: [], paths: [], pipedFromDownload: false, ...facts };
}

/** A `bash` operation: its command line, the simple commands, and the facts of the SQL it hands to psql. */
export function bash(
  command: string,
  commands: ShellCommandFacts[],
  sqlInside: SqlFacts[] = [],
): OperationFacts {
  return { kind: 'bash', command, shell: { commands, sql: sqlInside.map(() => '…') }, sql: sqlInside };
}

/** A `file` operation. */
export function file(tool: string, ...paths: string[]): OperationFacts {
  return { kind: 'file', file: { tool, paths } satisfies FileFacts };
}
