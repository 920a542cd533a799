import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { defaultPolicy, PolicyError, type PolicyIssue, parsePolicy } from '../../proxy/policy/document.js';
import { effectivePolicy } from '../../proxy/policy/effective.js';
import { BUILTIN_GUARD_RULES } from '../../proxy/policy/guard/default-rules.js';
import { durationMs, formatDuration } from '../../proxy/policy/guard/rule-schema.js';
import { diffPolicies } from '../../proxy/policy/policy-diff.js';
import { sql, statement } from '../helpers/guard-facts.js';

function issues(raw: unknown): PolicyIssue[] {
  try {
    parsePolicy(raw, 'policy.json');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues;
  }
  throw new Error('the document was accepted');
}

const rules = (...list: unknown[]) => ({ guardrails: { rules: list } });

describe('guard rules and approvals in the policy document', () => {
  it('defaults: guardrails on with the built-in rules, approvals held for 5 minutes', () => {
    const effective = effectivePolicy(defaultPolicy());
    expect(effective.guardrails.enabled).toBe(true);
    expect(effective.guardrails.rules.map((r) => [r.id, r.builtin])).toEqual(
      BUILTIN_GUARD_RULES.map((r) => [r.id, true]),
    );
    expect(effective.approvals).toEqual({
      mode: 'hold',
      timeoutMs: 300_000,
      sessionScopeMs: 900_000,
      engineDown: 'deny',
    });
  });

  it('accepts rules of every kind and lists them before the built-in ones', () => {
    const doc = parsePolicy(
      {
        guardrails: {
          rules: [
            {
              id: 'team.orders-read-only',
              action: 'block',
              message: 'orders are read-only here',
              match: {
                sql: {
                  effect: ['insert', 'update', 'delete'],
                  tables: ['public.orders'],
                  tablesIn: 'writes',
                },
                connection: ['prod'],
              },
            },
            {
              id: 'team.no-dblink',
              action: 'approve',
              message: 'dblink',
              match: { sql: { functions: ['dblink*'] } },
            },
            { id: 'team.dba-allowed', action: 'allow', match: { groups: ['dba'] } },
            {
              id: 'team.shell',
              action: 'flag',
              message: 'x',
              match: {
                shell: {
                  command: ['rm'],
                  flags: ['--force'],
                  subcommands: ['**'],
                  paths: ['~/**'],
                  outsideCwd: true,
                  pipedFromDownload: false,
                  forcePushTo: ['prod'],
                  writes: ['/etc/**'],
                  sqlInside: { noWhere: true },
                },
                file: { tool: ['Write'], paths: ['*.pem'] },
              },
            },
          ],
        },
        approvals: { mode: 'retry', timeout: '90s', sessionScope: 3600, engineDown: 'allow' },
      },
      'policy.json',
    );
    const effective = effectivePolicy(doc);
    expect(effective.guardrails.rules.map((r) => r.id).slice(0, 5)).toEqual([
      'team.orders-read-only',
      'team.no-dblink',
      'team.dba-allowed',
      'team.shell',
      BUILTIN_GUARD_RULES[0]!.id,
    ]);
    expect(effective.guardrails.rules[2]).toMatchObject({
      message: 'allowed by rule team.dba-allowed',
      builtin: false,
    });
    expect(effective.approvals).toEqual({
      mode: 'retry',
      timeoutMs: 90_000,
      sessionScopeMs: 3_600_000,
      engineDown: 'allow',
    });
    // The parsed document keeps what the file says, so it parses again to the same thing.
    expect(parsePolicy(JSON.parse(JSON.stringify(doc)), 'again')).toEqual(doc);
  });

  it('names the field and the fix for each mistake, and refuses unknown fields at every level', () => {
    expect(
      issues(
        rules(
          { id: 'Bad Id', action: 'deny', message: 'x', match: {} },
          { id: 'a', action: 'block', message: 'x', match: { sql: { effect: 'remove', tables: ['a.b.c'] } } },
          { id: 'b', action: 'flag', message: 'x', match: { shell: { comand: ['rm'] } } },
          { id: 'c', action: 'flag', message: 'x', match: { sql: { command: 'DROP *' }, conection: ['x'] } },
          { id: 'd', action: 'flag', match: { shell: { sqlInside: { noWher: true } } } },
        ),
      ),
    ).toEqual([
      {
        path: 'guardrails.rules[0].id',
        message: 'must be lower-case letters, digits, ".", "_" or "-" (at most 80), e.g. "team.no-prod-ddl"',
      },
      { path: 'guardrails.rules[0].action', message: 'must be one of "allow", "flag", "block", "approve"' },
      {
        path: 'guardrails.rules[1].match.sql.effect',
        message: expect.stringContaining(
          '"read", "insert", "update", "delete", "ddl", "dcl", "utility", "unknown"',
        ),
      },
      {
        path: 'guardrails.rules[1].match.sql.tables[0]',
        message: 'must be "table" or "schema.table" (a part may use * as a wildcard)',
      },
      {
        path: 'guardrails.rules[2].match.shell',
        message: expect.stringMatching(/^unknown field "comand": .*fields here: command, flags, subcommands/),
      },
      { path: 'guardrails.rules[3].match.sql.command', message: 'must be a list, e.g. ["DROP *"]' },
      {
        path: 'guardrails.rules[3].match',
        message: expect.stringMatching(
          /^unknown field "conection": .*\(fields here: sql, shell, file, connection, groups\)/,
        ),
      },
      {
        path: 'guardrails.rules[4].match.shell.sqlInside',
        message: expect.stringMatching(/^unknown field "noWher".*noWhere/),
      },
    ]);
    expect(issues({ guardrails: { rule: [] } })).toEqual([
      {
        path: 'guardrails',
        message:
          'unknown field "rule": remove it or check its spelling (fields here: enabled, defaults, rules)',
      },
    ]);
    expect(issues(rules({ id: 'z', action: 'flag', message: 'm', match: {}, when: 'always' }))).toEqual([
      {
        path: 'guardrails.rules[0]',
        message:
          'unknown field "when": remove it or check its spelling (fields here: id, action, message, match, route)',
      },
    ]);
    expect(issues({ guardrails: { enabled: 'yes' } })).toEqual([
      { path: 'guardrails.enabled', message: 'must be true or false' },
    ]);
  });

  it('cross-checks rules: ids used once, match and message required unless a built-in rule is replaced', () => {
    expect(
      issues(
        rules(
          { id: 'x', action: 'block', message: 'm', match: {} },
          { id: 'x', action: 'flag', message: 'm', match: {} },
          { id: 'y', action: 'block' },
          { id: 'pg.drop', action: 'allow' },
        ),
      ),
    ).toEqual([
      { path: 'guardrails.rules[1].id', message: '"x" is used twice; give each rule its own id' },
      { path: 'guardrails.rules[2].match', message: expect.stringContaining('is required') },
      {
        path: 'guardrails.rules[2].message',
        message: 'is required: the sentence the client and the approver see',
      },
    ]);
  });

  it('validates the approvals settings', () => {
    expect(
      issues({
        approvals: { mode: 'wait', timeout: '5 minutes', sessionScope: 0, engineDown: 'ask', retries: 1 },
      }),
    ).toEqual([
      { path: 'approvals.mode', message: 'must be "hold" or "retry"' },
      {
        path: 'approvals.timeout',
        message: 'must be a duration such as "5m", "90s", "1h30m" or "500ms", or a number of seconds',
      },
      { path: 'approvals.sessionScope', message: 'must be longer than zero' },
      { path: 'approvals.engineDown', message: 'must be "deny" or "allow"' },
      { path: 'approvals', message: expect.stringContaining('unknown field "retries"') },
    ]);
    expect(issues({ approvals: { timeout: '25h' } })).toEqual([
      { path: 'approvals.timeout', message: 'must be at most 24h' },
    ]);
  });

  it('reads durations as written and prints them back', () => {
    expect(durationMs('5m')).toBe(300_000);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('2m500ms')).toBe(120_500);
    expect(durationMs(0.25)).toBe(250);
    for (const bad of ['', 'm', '5', '5 m', '1d', '-5m']) expect(durationMs(bad), bad).toBeUndefined();
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(500)).toBe('500ms');
  });

  it('a file rule replaces the built-in rule of the same id, in its own place', () => {
    const doc = parsePolicy(rules({ id: 'pg.drop', action: 'flag' }), 'policy.json');
    const policy = compilePolicy(doc, { hashKey: Buffer.alloc(32) });
    expect(policy.guard.rules.filter((r) => r.id === 'pg.drop')).toEqual([
      { ...BUILTIN_GUARD_RULES[0], action: 'flag', builtin: false },
    ]);
    const drop = sql('DROP TABLE t', statement({ effect: 'ddl', command: 'DROP TABLE' }));
    expect(policy.guard.decide(drop, { home: '/h' })).toMatchObject({
      action: 'flag',
      rule: { id: 'pg.drop' },
    });
  });

  it('guardrails off allows everything; defaults off leaves only the file rules', () => {
    const drop = sql('DROP TABLE t', statement({ effect: 'ddl', command: 'DROP TABLE' }));
    const compile = (raw: unknown) => compilePolicy(parsePolicy(raw, 'p'), { hashKey: Buffer.alloc(32) });
    expect(compile({}).guard.decide(drop, { home: '/h' }).action).toBe('approve');
    expect(compile({ guardrails: { enabled: false } }).guard.decide(drop, { home: '/h' })).toEqual({
      action: 'allow',
    });
    const own = compile({
      guardrails: {
        defaults: false,
        rules: [{ id: 'no-ddl', action: 'block', message: 'no DDL', match: { sql: { effect: 'ddl' } } }],
      },
    });
    expect(own.guard.rules.map((r) => r.id)).toEqual(['no-ddl']);
    expect(own.guard.decide(drop, { home: '/h' })).toEqual({
      action: 'block',
      rule: { id: 'no-ddl', message: 'no DDL', builtin: false },
    });
    expect(compile({ approvals: { mode: 'retry' } }).approvals.mode).toBe('retry');
  });

  it('changes the version and records a diff when rules or approvals change', () => {
    const before = effectivePolicy(defaultPolicy());
    const rule = { id: 'no-ddl', action: 'block', message: 'no DDL', match: { sql: { effect: 'ddl' } } };
    const after = effectivePolicy(
      parsePolicy(
        { ...rules(rule, { id: 'pg.truncate', action: 'block' }), approvals: { timeout: '1m' } },
        'p',
      ),
    );
    expect(after.version).not.toBe(before.version);
    expect(diffPolicies(before, after)).toEqual([
      { path: '/guardrails/rules/pg.truncate/action', from: 'approve', to: 'block' },
      { path: '/guardrails/rules/pg.truncate/builtin', from: true, to: false },
      { path: '/guardrails/rules/no-ddl', to: { ...rule, builtin: false } },
      {
        path: '/guardrails/rules/(order)',
        from: BUILTIN_GUARD_RULES.map((r) => r.id),
        to: ['pg.truncate', ...BUILTIN_GUARD_RULES.map((r) => r.id).filter((id) => id !== 'pg.truncate')],
      },
      { path: '/approvals/timeoutMs', from: 300_000, to: 60_000 },
    ]);
    // The same rules in another order are another policy.
    const reordered = effectivePolicy(parsePolicy(rules({ ...rule, id: 'a' }, { ...rule, id: 'b' }), 'p'));
    const swapped = effectivePolicy(parsePolicy(rules({ ...rule, id: 'b' }, { ...rule, id: 'a' }), 'p'));
    expect(swapped.version).not.toBe(reordered.version);
    expect(diffPolicies(reordered, swapped).map((c) => c.path)).toEqual(['/guardrails/rules/(order)']);
  });
});
