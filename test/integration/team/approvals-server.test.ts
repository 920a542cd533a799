/**
 * Routed approvals against the real server bin on a real PostgreSQL with tokens from a real OIDC provider
 * (alice: engineering and auditors; bob: db-approvers; carol: no groups): created by the requester, listed
 * for the group's approvers, decided only by them and signed with the approver's token identity, self-approval
 * refused unless the rule allows it, expiry read at expires_at, withdrawal by the requester only, and the
 * whole approval sent live to an approver connected to another server instance on the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LiveMessage, RoutedApproval, RoutedApprovalRequest } from '../../../proxy/sync/protocol.js';
import {
  callJson,
  type ServerProcess,
  spawnTeamServer,
  startTeamSetup,
  type TeamSetup,
} from '../../helpers/team-server.js';

let team: TeamSetup;
let second: ServerProcess;
let alice: string;
let bob: string;
let carol: string;

beforeAll(async () => {
  team = await startTeamSetup();
  second = await spawnTeamServer({ databaseUrl: team.pg.superuserUrl, issuer: team.provider.issuer });
  [alice, bob, carol] = await Promise.all([
    team.tokenFor('alice'),
    team.tokenFor('bob'),
    team.tokenFor('carol'),
  ]);
}, 180_000);
afterAll(async () => {
  await second?.stop();
  await team?.stop();
});

let counter = 0;
/** A request for `group` with a fresh id, expiring in `ttlMs`. */
function request(extra: Partial<RoutedApprovalRequest> = {}, ttlMs = 120_000): RoutedApprovalRequest {
  const now = Date.now() * 1000;
  counter += 1;
  return {
    id: `ap_T${Date.now().toString(36).toUpperCase()}${counter}`,
    session_id: '01JTESTSESSION0000000000000',
    request_seq: 3,
    rule_id: 'team.prod-writes',
    group: 'db-approvers',
    allow_self_approval: false,
    what: { text: 'DELETE FROM orders', kind: 'sql', rule: { id: 'team.prod-writes' } },
    requested_at: now,
    expires_at: now + ttlMs * 1000,
    ...extra,
  };
}

/** A call to the server at `base` (this file's server by default) as `token`. */
function call(token: string, method: string, path: string, body?: unknown, base = team.server.url) {
  return callJson(token, method, `${base}${path}`, body);
}

describe('routed approvals on the server', () => {
  it('is created by the requester; an id another person used is refused, a resend answers the same', async () => {
    const asked = request();
    const created = await call(alice, 'POST', '/v1/approvals', asked);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: asked.id,
      status: 'pending',
      requester: { subject: 'alice', email: 'alice@example.test' },
      decided_by: null,
    });
    expect((await call(alice, 'POST', '/v1/approvals', asked)).status).toBe(200);
    const stolen = await call(bob, 'POST', '/v1/approvals', asked);
    expect(stolen).toMatchObject({ status: 409, body: { error: 'conflict' } });
    const bad = await call(alice, 'POST', '/v1/approvals', { ...asked, id: 'nope' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${team.server.url}/v1/approvals`)).status).toBe(401);
  });

  it('lists it for the group and the requester only, and hides it from others', async () => {
    const asked = request();
    await call(alice, 'POST', '/v1/approvals', asked);
    const ids = async (token: string) =>
      ((await call(token, 'GET', '/v1/approvals?status=pending')).body.approvals as RoutedApproval[]).map(
        (a) => a.id,
      );
    expect(await ids(bob)).toContain(asked.id);
    expect(await ids(alice)).toContain(asked.id);
    expect(await ids(carol)).not.toContain(asked.id);
    expect((await call(carol, 'GET', `/v1/approvals/${asked.id}`)).status).toBe(404);
    expect((await call(bob, 'GET', `/v1/approvals/${asked.id}`)).body.status).toBe('pending');
  });

  it('is decided by an approver of the group, signed with their token identity, once', async () => {
    const asked = request();
    await call(alice, 'POST', '/v1/approvals', asked);
    const outsider = await call(carol, 'POST', `/v1/approvals/${asked.id}/decision`, {
      decision: 'approved',
    });
    expect(outsider).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const own = await call(alice, 'POST', `/v1/approvals/${asked.id}/decision`, { decision: 'approved' });
    expect(own).toMatchObject({ status: 403, body: { error: 'self_approval' } });
    const decided = await call(bob, 'POST', `/v1/approvals/${asked.id}/decision`, {
      decision: 'approved',
      reason: 'checked the plan',
      scope: 'session',
      for_seconds: 600,
    });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({
      status: 'approved',
      reason: 'checked the plan',
      decided_by: {
        issuer: team.provider.issuer,
        subject: 'bob',
        email: 'bob@example.test',
        groups: ['db-approvers'],
      },
      scope: { type: 'session' },
    });
    const again = await call(bob, 'POST', `/v1/approvals/${asked.id}/decision`, { decision: 'denied' });
    expect(again).toMatchObject({ status: 409, body: { error: 'not_pending', status: 'approved' } });
    expect((await call(alice, 'GET', `/v1/approvals/${asked.id}`)).body.decided_by).toMatchObject({
      subject: 'bob',
    });
  });

  it('refuses self-approval by an approver of the group unless the rule allows it', async () => {
    const refused = request();
    await call(bob, 'POST', '/v1/approvals', refused);
    const self = await call(bob, 'POST', `/v1/approvals/${refused.id}/decision`, { decision: 'approved' });
    expect(self.status).toBe(403);
    expect(self.body).toMatchObject({ error: 'self_approval' });
    expect(self.body.message).toContain('does not allow self-approval');
    const allowed = request({ allow_self_approval: true });
    await call(bob, 'POST', '/v1/approvals', allowed);
    const ok = await call(bob, 'POST', `/v1/approvals/${allowed.id}/decision`, { decision: 'denied' });
    expect(ok).toMatchObject({ status: 200, body: { status: 'denied', decided_by: { subject: 'bob' } } });
  });

  it('reads as expired after expires_at and can no longer be decided', async () => {
    const asked = request({}, 1_500);
    await call(alice, 'POST', '/v1/approvals', asked);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await call(bob, 'GET', `/v1/approvals/${asked.id}`)).body.status).toBe('expired');
    const late = await call(bob, 'POST', `/v1/approvals/${asked.id}/decision`, { decision: 'approved' });
    expect(late).toMatchObject({ status: 409, body: { error: 'not_pending', status: 'expired' } });
    const pending = (await call(bob, 'GET', '/v1/approvals?status=pending')).body
      .approvals as RoutedApproval[];
    expect(pending.map((a) => a.id)).not.toContain(asked.id);
  });

  it('is withdrawn by the requester only', async () => {
    const asked = request();
    await call(alice, 'POST', '/v1/approvals', asked);
    expect((await call(bob, 'POST', `/v1/approvals/${asked.id}/withdraw`, {})).status).toBe(403);
    const gone = await call(alice, 'POST', `/v1/approvals/${asked.id}/withdraw`, { reason: 'client left' });
    expect(gone).toMatchObject({ status: 200, body: { status: 'withdrawn', reason: 'client left' } });
  });

  it('reaches an approver connected to another instance, whole, and the requester hears the decision', async () => {
    const messages = (url: string, token: string) => {
      const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/live`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const seen: LiveMessage[] = [];
      socket.on('message', (data) => seen.push(JSON.parse(String(data)) as LiveMessage));
      const hello = new Promise<void>((resolve, reject) => {
        socket.on('message', () => resolve());
        socket.on('error', reject);
      });
      return { socket, seen, hello };
    };
    const approver = messages(second.url, bob);
    const requester = messages(team.server.url, alice);
    const outsider = messages(second.url, carol);
    await Promise.all([approver.hello, requester.hello, outsider.hello]);
    const asked = request();
    expect((await call(alice, 'POST', '/v1/approvals', asked)).status).toBe(201);
    const approvalOf = (seen: LiveMessage[], status: string) =>
      seen.find((m) => m.type === 'approval' && m.approval.id === asked.id && m.approval.status === status);
    await expect
      .poll(() => approvalOf(approver.seen, 'pending'), { timeout: 30_000 })
      .toMatchObject({
        approval: { id: asked.id, what: asked.what, requester: { subject: 'alice' } },
      });
    await call(
      bob,
      'POST',
      `/v1/approvals/${asked.id}/decision`,
      { decision: 'denied', reason: 'no' },
      second.url,
    );
    await expect
      .poll(() => approvalOf(requester.seen, 'denied'), { timeout: 30_000 })
      .toMatchObject({ approval: { decided_by: { subject: 'bob' }, reason: 'no' } });
    expect(outsider.seen.filter((m) => m.type === 'approval')).toEqual([]);
    for (const { socket } of [approver, requester, outsider]) socket.close();
  });
});
