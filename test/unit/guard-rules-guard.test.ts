import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { parsePolicy } from '../../proxy/policy/document.js';
import { createGuard, type GuardClassifiers } from '../../proxy/policy/guard/guard.js';
import type { GuardContext } from '../../proxy/policy/guard/types.js';
import { cmd, sqlFacts, statement } from '../helpers/guard-facts.js';

const CONTEXT: GuardContext = { home: '/home/ana', cwd: '/home/ana/p' };
const compiled = (raw: unknown = {}) =>
  compilePolicy(parsePolicy(raw, 'test'), {
    hashKey: Buffer.alloc(32),
  });

/** Tiny stand-in classifiers: only the composition is under test here, the real ones have their own tests. */
function classifiers(calls: string[]): GuardClassifiers {
  return {
    sql: {
      classify(text) {
        calls.push(`sql:${text}`);
        if (text.startsWith('THROW')) throw new Error('parser crashed');
        return /^drop/i.test(text)
          ? sqlFacts(statement({ effect: 'ddl', command: 'DROP TABLE' }))
          : sqlFacts(statement({ effect: 'read', command: 'SELECT' }));
      },
    },
    shell: {
      classify(command, context) {
        calls.push(`shell:${command}@${context.cwd}`);
        return {
          commands: [cmd({ name: 'psql', flags: ['command'] })],
          sql: command.includes('-c') ? [command.split("'")[1]!] : [],
        };
      },
    },
    fileTool(tool, input, context) {
      calls.push(`file:${tool}@${context.home}`);
      const path = (input as { file_path?: unknown }).file_path;
      return tool === 'Write' && typeof path === 'string' ? { tool, paths: [path] } : undefined;
    },
  };
}

describe('the Guard: classifiers composed with the rules of the policy in force', () => {
  it('classifies SQL and decides it by the current policy, read anew for each operation', () => {
    const calls: string[] = [];
    let policy = compiled();
    const guard = createGuard(() => policy, classifiers(calls));
    const drop = guard.sql('DROP TABLE t', CONTEXT);
    expect(drop.facts).toMatchObject({ kind: 'sql', text: 'DROP TABLE t', sql: { effect: 'ddl' } });
    expect(drop.decision).toMatchObject({ action: 'approve', rule: { id: 'pg.drop', builtin: true } });
    expect(guard.sql('SELECT 1', CONTEXT).decision).toEqual({ action: 'allow' });
    policy = compiled({ guardrails: { enabled: false } });
    expect(guard.sql('DROP TABLE t', CONTEXT).decision).toEqual({ action: 'allow' });
    expect(calls).toEqual(['sql:DROP TABLE t', 'sql:SELECT 1', 'sql:DROP TABLE t']);
  });

  it("classifies a Bash call's command line and the SQL it hands to psql", () => {
    const calls: string[] = [];
    const guard = createGuard(() => compiled(), classifiers(calls));
    const result = guard.toolCall('Bash', { command: "psql -c 'DROP TABLE t'", description: 'x' }, CONTEXT);
    expect(result.facts).toMatchObject({
      kind: 'bash',
      command: "psql -c 'DROP TABLE t'",
      shell: { sql: ['DROP TABLE t'] },
      sql: [{ effect: 'ddl', commands: ['DROP TABLE'] }],
    });
    expect(result.decision).toMatchObject({ action: 'approve', rule: { id: 'shell.psql-drop-truncate' } });
    expect(calls).toEqual(["shell:psql -c 'DROP TABLE t'@/home/ana/p", 'sql:DROP TABLE t']);
  });

  it('classifies file tools, and other tools as themselves', () => {
    const guard = createGuard(() => compiled(), classifiers([]));
    const env = guard.toolCall('Write', { file_path: '/home/ana/p/.env', content: 'X=1' }, CONTEXT);
    expect(env.facts).toEqual({ kind: 'file', file: { tool: 'Write', paths: ['/home/ana/p/.env'] } });
    expect(env.decision).toMatchObject({ action: 'flag', rule: { id: 'files.write-secrets' } });
    expect(guard.toolCall('WebFetch', { url: 'https://x' }, CONTEXT)).toEqual({
      facts: { kind: 'tool', tool: 'WebFetch' },
      decision: { action: 'allow' },
    });
    // A Bash call without a string command is not a command line.
    expect(guard.toolCall('Bash', { command: 42 }, CONTEXT).facts).toEqual({ kind: 'tool', tool: 'Bash' });
    expect(guard.toolCall('Bash', null, CONTEXT).facts).toEqual({ kind: 'tool', tool: 'Bash' });
  });

  it('never throws: SQL a classifier fails on is unknown, and held by the default rules', () => {
    const guard = createGuard(() => compiled(), classifiers([]));
    const result = guard.sql('THROW me', CONTEXT);
    expect(result.facts).toMatchObject({
      kind: 'sql',
      sql: { effect: 'unknown', parseError: 'the SQL classifier failed: parser crashed' },
    });
    expect(result.decision).toMatchObject({ action: 'approve', rule: { id: 'pg.unknown' } });
    const broken: GuardClassifiers = {
      ...classifiers([]),
      shell: {
        classify: () => {
          throw new Error('no grammar');
        },
      },
      fileTool: () => {
        throw new Error('bad input');
      },
    };
    const shell = createGuard(() => compiled(), broken).toolCall('Bash', { command: 'ls' }, CONTEXT);
    expect(shell.facts).toMatchObject({
      kind: 'bash',
      shell: { commands: [], parseError: expect.stringContaining('no grammar') },
    });
    expect(createGuard(() => compiled(), broken).toolCall('Edit', {}, CONTEXT).facts).toEqual({
      kind: 'tool',
      tool: 'Edit',
    });
  });
});
