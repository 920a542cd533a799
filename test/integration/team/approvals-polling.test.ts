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

  /** A poll-only component on the test engine's broker, as alice, reaching the server at `url()`. */
  const follow = (url: () => string) => {
    const bearer = { bearer: () => alice };
    return new RoutedApprovals({
      approvals: test.engine.approvals,
      client: new TeamApprovalsClient(url, bearer),
      baseUrl: url,
      me: () => ({ issuer: team.provider.issuer, subject: 'alice' }),
      pollMs: 300,
      live: false,
    });
  };

  /** A routed approval, pending on the engine and on the server. */
  async function routedPending(sql: string) {
    const plain = sqlSubject(test.engine.store, sql);
    const { approval } = test.engine.approvals.request({
      ...plain,
      rule: { ...plain.rule, route: { group: 'db-approvers', allowSelfApproval: false } },
    });
    await expect
      .poll(
        () =>
          asBob()
            .get(approval.id)
            .then((a) => a.status),
        { timeout: 30_000 },
      )
      .toBe('pending');
    return approval;
  }
  const asBob = () => new TeamApprovalsClient(() => team.server.url, { bearer: () => bob });

  it('is withdrawn on the server when the engine stops with it pending', async () => {
    const routed = follow(() => team.server.url);
    routed.start();
    const approval = await routedPending('DELETE FROM carts');
    // As in the engine: the component stops before the broker withdraws what is pending.
    await routed.stop();
    expect((await asBob().get(approval.id)).status).toBe('withdrawn');
    test.engine.approvals.withdraw(approval.id, 'test done');
  }, 120_000);

  it('is withdrawn on the server at the next start when the server could not be told at stop', async () => {
    let url = team.server.url;
    const before = follow(() => url);
    before.start();
    const approval = await routedPending('DELETE FROM baskets');
    url = 'http://127.0.0.1:9'; // the server cannot be reached while the engine stops
    await before.stop();
    const home = test.home;
    await test.engine.stop();
    expect((await asBob().get(approval.id)).status).toBe('pending');
    test = await startTestEngine('http://127.0.0.1:9', undefined, home);
    const after = follow(() => team.server.url);
    after.start();
    try {
      await expect
        .poll(
          () =>
            asBob()
              .get(approval.id)
              .then((a) => a.status),
          { timeout: 30_000 },
        )
        .toBe('withdrawn');
    } finally {
      await after.stop();
    }
  }, 120_000);
});
