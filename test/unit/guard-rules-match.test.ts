import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../proxy/policy/document.js';
import type { GuardRuleDefinition } from '../../proxy/policy/guard/rule-schema.js';
import { compileGuardRules } from '../../proxy/policy/guard/rules.js';
import type { GuardContext, OperationFacts } from '../../proxy/policy/guard/types.js';
import { bash, cmd, file, sql, sqlFacts, statement } from '../helpers/guard-facts.js';

const CONTEXT: GuardContext = { home: '/home/ana', cwd: '/home/ana/p', connection: 'prod' };

/** The file's rules only (no defaults), validated as policy.json would be. */
function matcher(...rules: Array<Omit<GuardRuleDefinition, 'message'> & { message?: string }>) {
  const doc = parsePolicy(
    { guardrails: { defaults: false, rules: rules.map((r) => ({ message: r.id, ...r })) } },
    'test',
  );
  return compileGuardRules(doc.guardrails.rules, []);
}

/** The deciding rule's id, or `allow`. */
const decided = (m: ReturnType<typeof matcher>, facts: OperationFacts, context = CONTEXT) =>
  m.decide(facts, context).rule?.id ?? 'allow';

const write = (table: string) =>
  sql(`DELETE FROM ${table} WHERE x`, statement({ effect: 'delete', command: 'DELETE', writes: [table] }));
const read = (table: string) =>
  sql(`SELECT * FROM ${table}`, statement({ effect: 'read', command: 'SELECT', reads: [table] }));

describe('guard rule matching', () => {
  it('tries rules in order: the first that matches decides, and no match allows', () => {
    const m = matcher(
      { id: 'first', action: 'flag', match: { sql: { effect: 'delete' } } },
      { id: 'second', action: 'block', match: { sql: { effect: ['delete', 'update'] } } },
      { id: 'reads', action: 'allow', match: { sql: { effect: 'read' } } },
    );
    expect(m.decide(write('t'), CONTEXT)).toEqual({
      action: 'flag',
      rule: { id: 'first', message: 'first', builtin: false },
    });
    const update = sql('UPDATE t SET a=1 WHERE b', statement({ effect: 'update', command: 'UPDATE' }));
    expect(m.decide(update, CONTEXT)).toMatchObject({ action: 'block', rule: { id: 'second' } });
    expect(m.decide(read('t'), CONTEXT)).toMatchObject({ action: 'allow', rule: { id: 'reads' } });
    expect(m.decide(sql('INSERT', statement({ effect: 'insert', command: 'INSERT' })), CONTEXT)).toEqual({
      action: 'allow',
    });
  });

  it('matches table patterns against writes, reads or either; unqualified names as public.<name>', () => {
    const m = matcher(
      {
        id: 'orders-writes',
        action: 'block',
        match: { sql: { tables: ['public.orders'], tablesIn: 'writes' } },
      },
      { id: 'audit-any-schema', action: 'flag', match: { sql: { tables: ['audit_log'] } } },
      { id: 'billing-reads', action: 'flag', match: { sql: { tables: ['billing.*'], tablesIn: 'reads' } } },
      { id: 'any-users', action: 'flag', match: { sql: { tables: ['*.users'] } } },
    );
    expect(decided(m, write('orders'))).toBe('orders-writes');
    expect(decided(m, write('public.orders'))).toBe('orders-writes');
    expect(decided(m, write('PUBLIC.Orders'))).toBe('orders-writes');
    expect(decided(m, write('sales.orders'))).toBe('allow');
    expect(decided(m, read('orders'))).toBe('allow');
    expect(decided(m, write('orders_archive'))).toBe('allow');
    expect(decided(m, read('audit_log'))).toBe('audit-any-schema');
    expect(decided(m, write('ops.audit_log'))).toBe('audit-any-schema');
    expect(decided(m, read('billing.invoices'))).toBe('billing-reads');
    expect(decided(m, write('billing.invoices'))).toBe('allow');
    expect(decided(m, read('billing'))).toBe('allow');
    expect(decided(m, read('users'))).toBe('any-users');
    expect(decided(m, read('crm.users'))).toBe('any-users');
  });

  it('holds all SQL conditions on one statement, not across a multi-statement message', () => {
    const m = matcher({
      id: 'orders-no-where',
      action: 'block',
      match: { sql: { noWhere: true, tables: ['orders'] } },
    });
    const split = sql(
      'UPDATE t SET a = 1; DELETE FROM orders WHERE id = 1',
      statement({ effect: 'update', command: 'UPDATE', writes: ['t'], noWhere: true }),
      statement({ effect: 'delete', command: 'DELETE', writes: ['orders'] }),
    );
    expect(decided(m, split)).toBe('allow');
    const both = sql(
      'DELETE FROM orders',
      statement({ effect: 'delete', command: 'DELETE', writes: ['orders'], noWhere: true }),
    );
    expect(decided(m, both)).toBe('orders-no-where');
  });

  it('matches functions and commands by glob, without regard to case', () => {
    const m = matcher(
      { id: 'dblink', action: 'block', match: { sql: { functions: ['dblink*'] } } },
      { id: 'vacuum', action: 'flag', match: { sql: { command: ['vacuum'] } } },
    );
    const call = (fn: string) =>
      sql(`SELECT ${fn}()`, statement({ effect: 'read', command: 'SELECT', functions: [fn] }));
    expect(decided(m, call('dblink_exec'))).toBe('dblink');
    expect(decided(m, call('pg_sleep'))).toBe('allow');
    expect(decided(m, sql('VACUUM', statement({ effect: 'utility', command: 'VACUUM' })))).toBe('vacuum');
  });

  it('checks the connection and the identity groups, and never matches them when absent', () => {
    const m = matcher(
      { id: 'dba', action: 'allow', match: { groups: ['dba', 'sre'] } },
      { id: 'prod-ddl', action: 'block', match: { sql: { effect: 'ddl' }, connection: ['prod'] } },
    );
    const ddl = sql('CREATE TABLE t ()', statement({ effect: 'ddl', command: 'CREATE TABLE' }));
    expect(decided(m, ddl)).toBe('prod-ddl');
    expect(decided(m, ddl, { ...CONTEXT, connection: 'staging' })).toBe('allow');
    expect(decided(m, ddl, { home: '/h' })).toBe('allow');
    expect(decided(m, ddl, { ...CONTEXT, identity: { groups: ['sre'] } })).toBe('dba');
    expect(decided(m, ddl, { ...CONTEXT, identity: { groups: ['dev'] } })).toBe('prod-ddl');
  });

  it('treats sql, shell and file as alternatives, and a rule naming no kind as matching every operation', () => {
    const m = matcher(
      { id: 'pem', action: 'flag', match: { file: { paths: ['*.pem'] }, shell: { paths: ['*.pem'] } } },
      { id: 'everything', action: 'approve', match: {} },
    );
    expect(decided(m, file('Write', '/home/ana/p/key.pem'))).toBe('pem');
    expect(decided(m, bash('cat key.pem', [cmd({ name: 'cat', paths: ['/home/ana/p/key.pem'] })]))).toBe(
      'pem',
    );
    expect(decided(m, read('t'))).toBe('everything');
    expect(decided(m, { kind: 'tool', tool: 'WebFetch' })).toBe('everything');
  });

  it('matches shell commands by name, all flags, subcommand words, paths and the SQL inside', () => {
    const m = matcher(
      {
        id: 'npm-publish',
        action: 'approve',
        match: { shell: { command: ['npm', 'pnpm'], subcommands: ['publish'] } },
      },
      { id: 'chmod-r', action: 'flag', match: { shell: { command: ['chmod'], flags: ['-R', 'verbose'] } } },
      { id: 'etc', action: 'block', match: { shell: { paths: ['/etc/**'] } } },
      { id: 'project-src', action: 'flag', match: { shell: { paths: ['src/*.ts'], outsideCwd: false } } },
      {
        id: 'psql-delete',
        action: 'block',
        match: { shell: { command: ['psql'], sqlInside: { effect: 'delete' } } },
      },
    );
    const one = (facts: Parameters<typeof cmd>[0], inside: ReturnType<typeof sqlFacts>[] = []) =>
      decided(m, bash('…', [cmd(facts)], inside));
    expect(one({ name: 'pnpm', subcommands: ['publish'] })).toBe('npm-publish');
    expect(one({ name: 'npm', subcommands: ['pack'] })).toBe('allow');
    expect(one({ name: 'chmod', flags: ['R', 'verbose'] })).toBe('chmod-r');
    expect(one({ name: 'chmod', flags: ['R'] })).toBe('allow');
    expect(one({ name: 'vim', paths: ['/etc/hosts'] })).toBe('etc');
    expect(one({ name: 'vim', paths: ['/etc'] })).toBe('etc');
    expect(one({ name: 'vim', paths: ['/home/ana/p/src/a.ts'] })).toBe('project-src');
    expect(one({ name: 'vim', paths: ['/home/ana/p/lib/src/a.ts'] })).toBe('allow');
    const del = sqlFacts(statement({ effect: 'delete', command: 'DELETE' }));
    expect(one({ name: 'psql' }, [del])).toBe('psql-delete');
    expect(one({ name: 'psql' }, [sqlFacts(statement({ effect: 'read', command: 'SELECT' }))])).toBe('allow');
  });

  it('with guardrails off decides nothing', () => {
    const m = compileGuardRules([{ id: 'x', action: 'block', message: 'x', match: {} }], [], {
      enabled: false,
    });
    expect(m.decide(read('t'), CONTEXT)).toEqual({ action: 'allow' });
  });
});
