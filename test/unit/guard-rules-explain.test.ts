import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addPolicyCommands } from '../../proxy/cli/policy-commands.js';
import type { Explanation } from '../../proxy/cli/policy-explain.js';
import type { GuardClassifiers } from '../../proxy/policy/guard/guard.js';
import { tempHome } from '../helpers/engine.js';
import { cmd, sqlFacts, statement } from '../helpers/guard-facts.js';

/**
 * Stand-in classifiers that know a few lines by heart (the real ones are wired in at merge and tested on
 * their own): `policy explain` is tested for its arguments, its composition and its output.
 */
const CLASSIFIERS: GuardClassifiers = {
  sql: {
    classify: (text) =>
      text.startsWith('DELETE FROM orders WHERE')
        ? sqlFacts(statement({ effect: 'delete', command: 'DELETE', writes: ['orders'] }))
        : text.startsWith('DELETE')
          ? sqlFacts(statement({ effect: 'delete', command: 'DELETE', writes: ['orders'], noWhere: true }))
          : sqlFacts(statement({ effect: 'ddl', command: 'DROP TABLE', writes: ['t'] })),
  },
  shell: {
    classify: (command, context) => ({
      commands: command.startsWith('rm')
        ? [
            cmd({
              name: 'rm',
              flags: ['force', 'recursive'],
              args: [command.split(' ')[2]!],
              paths: [join(context.cwd ?? '/', command.split(' ')[2]!)],
            }),
          ]
        : [cmd({ name: 'psql', flags: ['command'] })],
      sql: command.startsWith('psql') ? ['DROP TABLE t'] : [],
    }),
  },
  fileTool: () => undefined,
};

describe('glassbox policy explain', () => {
  const home = tempHome();
  let out: string;
  beforeEach(() => {
    out = '';
    vi.stubEnv('GLASSBOX_HOME', home);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    rmSync(join(home, 'policy.json'), { force: true });
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  async function explain(...args: string[]): Promise<string> {
    const program = new Command().exitOverride();
    addPolicyCommands(program, async () => CLASSIFIERS);
    await program.parseAsync(['policy', 'explain', ...args], { from: 'user' });
    return out;
  }

  it('prints the facts of a statement and the rule that applies', async () => {
    expect(await explain('--sql', 'DELETE FROM orders')).toMatch(
      /^SQL: DELETE FROM orders\n {2}effect delete · DELETE · no WHERE · writes orders\n\nDecision: approve, by rule pg\.delete-without-where \(built-in\): DELETE without a WHERE clause deletes every row of the table\n\(policy [0-9a-f]{12}\)\n$/,
    );
  });

  it('says when no rule matched', async () => {
    expect(await explain('--sql', 'DELETE FROM orders WHERE id = 1')).toContain(
      '\nDecision: allowed: no rule matched\n',
    );
  });

  it('resolves a command against --cwd and shows the SQL handed to psql', async () => {
    expect(await explain('--bash', 'rm -rf build', '--cwd', '/work/p')).toContain(
      'Decision: allowed: no rule matched',
    );
    out = '';
    expect(await explain('--bash', 'rm -rf ../other', '--cwd', '/work/p')).toContain(
      'rm · flags force, recursive · args ../other · paths /work/other\n\nDecision: approve, by rule shell.rm-outside-cwd (built-in)',
    );
    out = '';
    expect(await explain('--bash', "psql -c 'DROP TABLE t'")).toContain(
      '  SQL passed to psql: DROP TABLE t\n    effect ddl · DROP TABLE · writes t\n\nDecision: approve, by rule shell.psql-drop-truncate',
    );
  });

  it('prints JSON with --json, and decides by the policy file with --connection', async () => {
    writeFileSync(
      join(home, 'policy.json'),
      JSON.stringify({
        guardrails: {
          rules: [
            {
              id: 'prod.no-ddl',
              action: 'block',
              message: 'no DDL on prod',
              match: { sql: { effect: 'ddl' }, connection: ['prod'] },
            },
          ],
        },
      }),
    );
    const result = JSON.parse(
      await explain('--sql', 'DROP TABLE t', '--connection', 'prod', '--json'),
    ) as Explanation;
    expect(result.facts).toMatchObject({ kind: 'sql', text: 'DROP TABLE t', sql: { effect: 'ddl' } });
    expect(result.decision).toEqual({
      action: 'block',
      rule: { id: 'prod.no-ddl', message: 'no DDL on prod', builtin: false },
    });
    out = '';
    const other = JSON.parse(await explain('--sql', 'DROP TABLE t', '--json')) as Explanation;
    expect(other.decision.rule?.id).toBe('pg.drop');
  });

  it('asks for exactly one of --sql and --bash', async () => {
    await expect(explain()).rejects.toThrow('give one of --sql "…" or --bash "…"');
    await expect(explain('--sql', 'x', '--bash', 'y')).rejects.toThrow('give one of');
  });
});
