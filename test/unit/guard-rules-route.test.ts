/**
 * `route` on an approve rule (issue 19, point 6): the approvals of the rule go to a group's approvers on the
 * team server. Checked by the policy document's schema with messages that name the fix, and carried by the
 * compiled matcher's decision (so the broker sees where to send the approval).
 */
import { describe, expect, it } from 'vitest';
import { describeGuard } from '../../proxy/cli/policy-guard-text.js';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { PolicyError, type PolicyIssue, parsePolicy } from '../../proxy/policy/document.js';
import { effectivePolicy } from '../../proxy/policy/effective.js';
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

const rule = (extra: Record<string, unknown>) => ({
  guardrails: {
    rules: [
      {
        id: 'team.prod-writes',
        action: 'approve',
        message: 'writes need a DBA',
        match: { sql: { effect: ['delete'] } },
        ...extra,
      },
    ],
  },
});

describe('route on an approve rule', () => {
  it('is kept with its default, and the decision names it', () => {
    const doc = parsePolicy(rule({ route: { group: 'db-approvers' } }), 'policy.json');
    const effective = effectivePolicy(doc);
    expect(effective.guardrails.rules[0]).toMatchObject({
      id: 'team.prod-writes',
      route: { group: 'db-approvers', allowSelfApproval: false },
    });
    const compiled = compilePolicy(doc, { hashKey: Buffer.alloc(32) });
    const decision = compiled.guard.decide(
      sql('DELETE FROM orders', statement({ effect: 'delete', command: 'DELETE' })),
      { home: '/home/dev' },
    );
    expect(decision).toMatchObject({
      action: 'approve',
      rule: { id: 'team.prod-writes', route: { group: 'db-approvers', allowSelfApproval: false } },
    });
    const selfOk = compilePolicy(
      parsePolicy(rule({ route: { group: 'dba', allowSelfApproval: true } }), 'policy.json'),
      { hashKey: Buffer.alloc(32) },
    );
    expect(
      selfOk.guard.decide(sql('DELETE FROM orders', statement({ effect: 'delete', command: 'DELETE' })), {
        home: '/home/dev',
      }).rule?.route,
    ).toEqual({
      group: 'dba',
      allowSelfApproval: true,
    });
  });

  it('a rule without route is decided locally (no route in the decision)', () => {
    const compiled = compilePolicy(parsePolicy(rule({}), 'policy.json'), { hashKey: Buffer.alloc(32) });
    const decision = compiled.guard.decide(
      sql('DELETE FROM orders', statement({ effect: 'delete', command: 'DELETE' })),
      { home: '/home/dev' },
    );
    expect(decision.rule).toEqual({ id: 'team.prod-writes', message: 'writes need a DBA', builtin: false });
  });

  it('says what is wrong: no group, an unknown field, a route on a rule that does not approve', () => {
    expect(issues(rule({ route: {} }))).toEqual([
      { path: 'guardrails.rules[0].route.group', message: expect.stringContaining('"db-approvers"') },
    ]);
    expect(issues(rule({ route: { group: '' } }))[0]).toMatchObject({
      path: 'guardrails.rules[0].route.group',
      message: expect.stringContaining('must not be empty'),
    });
    expect(issues(rule({ route: { group: 'dba', selfApproval: true } }))[0]).toMatchObject({
      path: 'guardrails.rules[0].route',
      message: expect.stringContaining('allowSelfApproval'),
    });
    expect(issues(rule({ route: { group: 'dba', allowSelfApproval: 'yes' } }))[0]).toMatchObject({
      path: 'guardrails.rules[0].route.allowSelfApproval',
      message: 'must be true or false',
    });
    const blocking = {
      guardrails: {
        rules: [{ id: 'team.no', action: 'block', message: 'no', match: {}, route: { group: 'dba' } }],
      },
    };
    expect(issues(blocking)).toEqual([
      {
        path: 'guardrails.rules[0].route',
        message: expect.stringContaining('only an "approve" rule routes approvals to a group'),
      },
    ]);
  });

  it('`policy show` says which group decides a routed rule', () => {
    const lines = describeGuard(
      effectivePolicy(parsePolicy(rule({ route: { group: 'db-approvers' } }), 'p')),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ +decided by group db-approvers on the team server$/),
    );
    const selfOk = rule({ route: { group: 'dba', allowSelfApproval: true } });
    expect(describeGuard(effectivePolicy(parsePolicy(selfOk, 'p')))).toContainEqual(
      expect.stringMatching(/decided by group dba on the team server \(self-approval allowed\)$/),
    );
  });
});
