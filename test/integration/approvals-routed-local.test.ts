/**
 * The broker's side of routed approvals (issue 19, point 6) on a real engine and store: a routed approval is
 * not decided on the requesting machine unless its rule allows self-approval; the team server's decision
 * (decideRouted) is recorded like a local one, with the approver the server verified in `approval.decided`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApprovalError } from '../../proxy/policy/approvals/broker.js';
import type { ApprovalDecidedPayload } from '../../proxy/policy/approvals/record.js';
import type { ApprovalSubject } from '../../proxy/policy/guard/types.js';
import { sqlSubject } from '../helpers/approvals.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

let test: TestEngine;
beforeAll(async () => {
  test = await startTestEngine('http://127.0.0.1:9');
});
afterAll(async () => {
  await test?.cleanup();
});

function routed(sql: string, allowSelfApproval: boolean): ApprovalSubject {
  const subject = sqlSubject(test.engine.store, sql);
  return { ...subject, rule: { ...subject.rule, route: { group: 'db-approvers', allowSelfApproval } } };
}
const LOCAL = { os_user: 'dev', via: 'cli' };

describe('a routed approval in the local broker', () => {
  it('refuses a local decision: the group decides it', () => {
    const { approval } = test.engine.approvals.request(routed('DELETE FROM a', false));
    let refused: unknown;
    try {
      test.engine.approvals.decide(approval.id, { approve: true, by: LOCAL });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ApprovalError);
    expect(refused).toMatchObject({ reason: 'routed' });
    expect((refused as Error).message).toContain('routed to group "db-approvers"');
    expect(test.engine.approvals.get(approval.id)?.status).toBe('pending');
    test.engine.approvals.withdraw(approval.id, 'test done');
  });

  it('takes a local decision when the rule allows self-approval', async () => {
    const { approval, settled } = test.engine.approvals.request(routed('DELETE FROM b', true));
    test.engine.approvals.decide(approval.id, { approve: false, reason: 'not now', by: LOCAL });
    expect((await settled).status).toBe('denied');
  });

  it("records the team server's decision with the approver's verified identity", async () => {
    const { approval, settled } = test.engine.approvals.request(routed('DELETE FROM c', false));
    const by = {
      verified: true,
      identity_status: 'verified' as const,
      issuer: 'https://idp.example',
      subject: 'bob',
      email: 'bob@example.test',
      groups: ['db-approvers'],
      via: 'team',
      self_approved: false,
    };
    test.engine.approvals.decideRouted(approval.id, { approve: true, reason: 'ok', by });
    expect((await settled).approval).toMatchObject({ status: 'approved', decided_by: by });
    const decided = test.engine.store
      .listEvents(approval.subject.session_id)
      .find((e) => e.kind === 'approval.decided');
    expect(decided?.payload as ApprovalDecidedPayload).toMatchObject({ decision: 'approved', by });
  });
});
