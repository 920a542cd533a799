/**
 * The requester's fallback when the live stream does not carry the decision: a routed approval is polled
 * (`GET /v1/approvals/:id`) and the decision applied from that. Real server bin, real PostgreSQL, real tokens;
 * the component runs with the live stream off, so only polling can bring the decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalSubject } from '../../../proxy/policy/guard/types.js';
import { TeamApprovalsClient } from '../../../proxy/sync/approvals-client.js';
import { RoutedApprovals } from '../../../proxy/sync/routed-approvals.js';
import { sqlSubject } from '../../helpers/approvals.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { startTeamSetup, type TeamSetup } from '../../helpers/team-server.js';

let team: TeamSetup;
let test: TestEngine;
let alice: string;
let bob: string;

beforeAll(async () => {
  team = await startTeamSetup({ accessTokenTtl: 900 });
  test = await startTestEngine('http://127.0.0.1:9');
  [alice, bob] = await Promise.all([team.tokenFor('alice'), team.tokenFor('bob')]);
}, 180_000);
afterAll(async () => {
  await test?.cleanup();
  await team?.stop();
});

describe('a routed approval without the live stream', () => {
  it('gets its decision by polling, recorded with the approver the server verified', async () => {
    const bearer = { bearer: () => alice };
    const baseUrl = () => team.server.url;
    const routed = new RoutedApprovals({
      approvals: test.engine.approvals,
      client: new TeamApprovalsClient(baseUrl, bearer),
      baseUrl,
      bearer,
      me: () => ({ issuer: team.provider.issuer, subject: 'alice' }),
      pollMs: 300,
      live: false,
    });
    routed.start();
    try {
      const plain = sqlSubject(test.engine.store, 'DELETE FROM orders');
      const subject: ApprovalSubject = {
        ...plain,
        rule: { ...plain.rule, route: { group: 'db-approvers', allowSelfApproval: false } },
      };
      const { approval, settled } = test.engine.approvals.request(subject);
      const asBob = new TeamApprovalsClient(baseUrl, { bearer: () => bob });
      await expect
        .poll(() => asBob.get(approval.id).then((a) => a.status), { timeout: 30_000 })
        .toBe('pending');
      await asBob.decide(approval.id, { decision: 'denied', reason: 'not today' });
      const outcome = await settled;
      expect(outcome.approval).toMatchObject({
        status: 'denied',
        reason: 'not today',
        decided_by: { subject: 'bob', email: 'bob@example.test', via: 'team', self_approved: false },
      });
    } finally {
      routed.stop();
    }
  }, 120_000);
});
