/**
 * `glassbox policy explain --sql "…" | --bash "…" [--cwd DIR] [--connection NAME] [--json]`: what the
 * guard classifies an operation as (its facts) and the rule of the policy in force that would decide it.
 * Classifies and decides locally; records nothing and needs no running engine.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../common/errors.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { createGuard, type GuardClassifiers } from '../policy/guard/guard.js';
import type { GuardDecision, OperationFacts, ShellCommandFacts, SqlFacts } from '../policy/guard/types.js';

/** What `policy explain` is asked about. */
export interface ExplainRequest {
  sql?: string;
  bash?: string;
  /** The working directory a command runs in (absolute). */
  cwd: string;
  home: string;
  connection?: string;
}

/** An operation's facts and the decision, as `--json` prints them. */
export interface Explanation {
  facts: OperationFacts;
  decision: GuardDecision;
  /** The policy's version ({@link CompiledPolicy.version}). */
  policy: string;
}

/**
 * Classifies and decides one operation.
 * @throws UserError unless exactly one of `sql` and `bash` is given
 */
export function explainOperation(
  policy: Pick<CompiledPolicy, 'guard' | 'version'>,
  classifiers: GuardClassifiers,
  request: ExplainRequest,
): Explanation {
  if ((request.sql === undefined) === (request.bash === undefined))
    throw new UserError('give one of --sql "…" or --bash "…"');
  const guard = createGuard(() => policy, classifiers);
  const context = { cwd: request.cwd, home: request.home, connection: request.connection };
  const { facts, decision } =
    request.sql !== undefined
      ? guard.sql(request.sql, context)
      : guard.toolCall('Bash', { command: request.bash }, context);
  return { facts, decision, policy: policy.version };
}

/** The explanation as people read it: the operation, its facts, then the decision. */
export function formatExplanation({ facts, decision, policy }: Explanation): string {
  const lines: string[] = [];
  if (facts.kind === 'sql') {
    lines.push(`SQL: ${facts.text}`, ...sqlLines(facts.sql, '  '));
  } else if (facts.kind === 'bash') {
    lines.push(`Command: ${facts.command}`);
    if (facts.shell.parseError) lines.push(`  does not parse cleanly: ${facts.shell.parseError}`);
    if (facts.shell.commands.length === 0) lines.push('  (no command found)');
    for (const command of facts.shell.commands) lines.push(`  ${commandLine(command)}`);
    facts.sql.forEach((sql, i) => {
      lines.push(`  SQL passed to psql: ${facts.shell.sql[i] ?? ''}`, ...sqlLines(sql, '    '));
    });
  } else if (facts.kind === 'file') {
    lines.push(`${facts.file.tool}: ${facts.file.paths.join(', ')}`);
  } else {
    lines.push(`Tool: ${facts.tool}`);
  }
  const rule = decision.rule;
  lines.push(
    '',
    rule
      ? `Decision: ${decision.action}, by rule ${rule.id}${ruleSource(rule)}: ${rule.message}`
      : 'Decision: allowed: no rule matched',
    `(policy ${policy})`,
  );
  return `${lines.join('\n')}\n`;
}

/** Where the deciding rule came from: ` (team policy)`, ` (local policy.json)`, ` (built-in)`. */
function ruleSource(rule: NonNullable<GuardDecision['rule']>): string {
  if (rule.source === 'team') return ' (team policy)';
  if (rule.source === 'local') return ' (local policy.json)';
  return rule.builtin ? ' (built-in)' : '';
}

function sqlLines(sql: SqlFacts, indent: string): string[] {
  const lines = [`${indent}${sqlChips(sql)}`];
  if (sql.parseError) lines.push(`${indent}does not parse: ${sql.parseError}`);
  if (sql.statements.length > 1) {
    sql.statements.forEach((s, i) => {
      lines.push(`${indent}  ${i + 1}. ${s.command || s.node}: ${sqlChips(s)}`);
    });
  }
  return lines;
}

/** `delete · no WHERE · writes public.orders · COPY … PROGRAM`: the facts as chips. */
function sqlChips(sql: Omit<SqlFacts, 'statements' | 'commands'> & { commands?: string[] }): string {
  const chips = [`effect ${sql.effect}`];
  if (sql.commands && sql.commands.length > 0) chips.push(sql.commands.join(', '));
  if (sql.noWhere) chips.push('no WHERE');
  if (sql.writes.length > 0) chips.push(`writes ${sql.writes.join(', ')}`);
  if (sql.reads.length > 0) chips.push(`reads ${sql.reads.join(', ')}`);
  if (sql.functions.length > 0) chips.push(`calls ${sql.functions.join(', ')}`);
  if (sql.alterDrop) chips.push('ALTER … DROP');
  if (sql.copyProgram) chips.push('COPY … PROGRAM');
  return chips.join(' · ');
}

function commandLine(c: ShellCommandFacts): string {
  const parts = [c.path ?? c.name];
  if (c.via.length > 0) parts.push(`(via ${c.via.join(', ')})`);
  if (c.subcommands.length > 0) parts.push(c.subcommands.join(' '));
  const chips = [parts.join(' ')];
  if (c.flags.length > 0) chips.push(`flags ${c.flags.join(', ')}`);
  if (c.args.length > 0) chips.push(`args ${c.args.join(' ')}`);
  if (c.paths.length > 0) chips.push(`paths ${c.paths.join(', ')}`);
  if (c.writes && c.writes.length > 0) chips.push(`writes ${c.writes.join(', ')}`);
  if (c.pipedFromDownload) chips.push('input piped from a download');
  return chips.join(' · ');
}

/**
 * Adds `explain` to the `policy` command.
 * @param policy the policy in force (read when the command runs)
 * @param classifiers loads the real classifiers (the SQL parser's WebAssembly module takes a moment)
 */
export function addExplainCommand(
  policyCommand: Command,
  policy: () => Pick<CompiledPolicy, 'guard' | 'version'>,
  classifiers: () => Promise<GuardClassifiers>,
): void {
  policyCommand
    .command('explain')
    .description('print the facts of a SQL statement or shell command and the guard rule that would apply')
    .option('--sql <text>', 'a PostgreSQL statement (or several, as one Query message)')
    .option('--bash <command>', 'a shell command line, as Claude Code would run it')
    .option('--cwd <dir>', 'the working directory the command runs in (default: this one)')
    .option('--connection <name>', 'the PostgreSQL connection it goes to (config.json)')
    .option('--json', 'print {facts, decision, policy} as JSON')
    .action(
      async (options: { sql?: string; bash?: string; cwd?: string; connection?: string; json?: boolean }) => {
        const request: ExplainRequest = {
          sql: options.sql,
          bash: options.bash,
          cwd: resolve(options.cwd ?? process.cwd()),
          home: homedir(),
          connection: options.connection,
        };
        if ((request.sql === undefined) === (request.bash === undefined))
          throw new UserError('give one of --sql "…" or --bash "…"');
        const result = explainOperation(policy(), await classifiers(), request);
        process.stdout.write(
          options.json ? `${JSON.stringify(result, null, 2)}\n` : formatExplanation(result),
        );
      },
    );
}
