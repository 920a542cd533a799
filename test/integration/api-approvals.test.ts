import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type {
  ApprovalResponse,
  ApprovalsResponse,
  ApprovalWaitResponse,
  ErrorResponse,
  LiveMessage,
} from '../../proxy/api/types.js';
import { nowMicros } from '../../proxy/common/time.js';
import { localIdentity } from '../../proxy/identity/local.js';
import { sqlSubject } from '../helpers/approvals.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

describe('control API: approvals', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let api: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    test = await startTestEngine(mock.url);
    api = test.engine.addresses.apiUrl;
    auth = { authorization: `Bearer ${test.engine.addresses.token}` };
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const held = (sql = 'DELETE FROM orders', rule?: string) =>
    test.engine.approvals.request(sqlSubject(test.engine.store, sql, rule ? { rule } : {}));

  it('lists pending approvals first, newest first, and decided ones with all=1', async () => {
    const empty = await call<ApprovalsResponse>('GET', '/api/approvals');
    expect(empty.body).toMatchObject({ approvals: [], pending: 0 });
    const older = held('DELETE FROM a');
    const newer = held('DELETE FROM b');
    const decided = held('DELETE FROM c');
    test.engine.approvals.decide(decided.approval.id, { approve: false, reason: 'no', by: { via: 'test' } });
    const list = await call<ApprovalsResponse>('GET', '/api/approvals');
    expect(list.status).toBe(200);
    expect(list.body.approvals.map((a) => a.id)).toEqual([newer.approval.id, older.approval.id]);
    expect(list.body.pending).toBe(2);
    expect(list.body.now).toBeGreaterThan(newer.approval.requested_at);
    const all = await call<ApprovalsResponse>('GET', '/api/approvals?all=1');
    expect(all.body.approvals.map((a) => a.id)).toEqual([
      newer.approval.id,
      older.approval.id,
      decided.approval.id,
    ]);
    expect(all.body.pending).toBe(2);
    const one = await call<ApprovalResponse>('GET', `/api/approvals/${older.approval.id}`);
    expect(one.body.approval).toMatchObject({
      id: older.approval.id,
      status: 'pending',
      subject: { text: 'DELETE FROM a' },
    });
    // Typed as people type it: lower case, without the prefix.
    const typed = await call<ApprovalResponse>(
      'GET',
      `/api/approvals/${older.approval.id.slice(3).toLowerCase()}`,
    );
    expect(typed.body.approval.id).toBe(older.approval.id);
    for (const { approval } of [older, newer]) test.engine.approvals.withdraw(approval.id, 'test done');
  });

  it('approves once, records who approved, and refuses a second decision with 409 and the status', async () => {
    const { approval, settled } = held();
    const approved = await call<ApprovalResponse>('POST', `/api/approvals/${approval.id}/approve`, {
      reason: 'ok',
      via: 'cli',
    });
    expect(approved.status).toBe(200);
    expect(approved.body.approval).toMatchObject({
      status: 'approved',
      scope: { type: 'once' },
      reason: 'ok',
      decided_by: { os_user: localIdentity().os_user, via: 'cli', self_approved: true },
    });
    expect((await settled).status).toBe('approved');
    const again = await call<ErrorResponse>('POST', `/api/approvals/${approval.id}/deny`, {
      reason: 'too late',
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'not_pending', status: 'approved' });
    expect(again.body.error.message).toContain('no longer pending: it was approved');
  });

  it('approves for a session and a duration', async () => {
    const { approval } = held();
    const before = nowMicros();
    const answer = await call<ApprovalResponse>('POST', `/api/approvals/${approval.id}/approve`, {
      for: '15m',
    });
    expect(answer.status).toBe(200);
    const scope = answer.body.approval.scope;
    expect(scope?.type).toBe('session');
    const until = scope?.type === 'session' ? scope.until_us : 0;
    expect(until - before).toBeGreaterThanOrEqual(15 * 60_000_000);
    expect(until - before).toBeLessThan(16 * 60_000_000);
    const byDefault = held();
    const session = await call<ApprovalResponse>('POST', `/api/approvals/${byDefault.approval.id}/approve`, {
      scope: 'session',
    });
    expect(session.body.approval.scope).toMatchObject({ type: 'session' });
  });

  it('denies only with a reason', async () => {
    const { approval, settled } = held();
    const without = await call<ErrorResponse>('POST', `/api/approvals/${approval.id}/deny`, {});
    expect(without.status).toBe(400);
    expect(without.body.error.message).toMatch(/^reason: /);
    const blank = await call<ErrorResponse>('POST', `/api/approvals/${approval.id}/deny`, { reason: '  ' });
    expect(blank.body.error.message).toBe('reason: is required to deny');
    const denied = await call<ApprovalResponse>('POST', `/api/approvals/${approval.id}/deny`, {
      reason: 'use a WHERE',
    });
    expect(denied.body.approval).toMatchObject({
      status: 'denied',
      reason: 'use a WHERE',
      decided_by: { via: 'api' },
    });
    expect((await settled).approval.reason).toBe('use a WHERE');
  });

  it('answers bad requests with the status and code the other routes use', async () => {
    const { approval } = held();
    const unknown = await call<ErrorResponse>('GET', '/api/approvals/ap_ZZZZZZZZ');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect((await call<ErrorResponse>('POST', '/api/approvals/nonsense/approve', {})).status).toBe(404);
    expect((await call<ErrorResponse>('GET', `/api/approvals/${approval.id}/approve`)).status).toBe(405);
    expect((await call<ErrorResponse>('POST', '/api/approvals')).status).toBe(405);
    const onceFor = await call<ErrorResponse>('POST', `/api/approvals/${approval.id}/approve`, {
      scope: 'once',
      for: '5m',
    });
    expect(onceFor.status).toBe(400);
    const badFor = await call<ErrorResponse>('POST', `/api/approvals/${approval.id}/approve`, {
      for: 'soon',
    });
    expect(badFor.body.error.message).toContain('for: give a duration');
    const extra = await call<ErrorResponse>('POST', `/api/approvals/${approval.id}/approve`, {
      scpoe: 'once',
    });
    expect(extra.status).toBe(400);
    const text = await fetch(`${api}/api/approvals/${approval.id}/approve`, {
      method: 'POST',
      headers: auth,
      body: '{}',
    });
    expect(text.status).toBe(415);
    expect((await call<ErrorResponse>('GET', '/api/approvals?limit=0')).status).toBe(400);
    expect((await call<ErrorResponse>('GET', `/api/approvals/${approval.id}/wait?timeout=1h`)).status).toBe(
      400,
    );
    // Auth and CSRF guards as everywhere: no token, a foreign page.
    expect((await fetch(`${api}/api/approvals`)).status).toBe(401);
    const foreign = await call<ErrorResponse>(
      'POST',
      `/api/approvals/${approval.id}/approve`,
      {},
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    expect(test.engine.approvals.get(approval.id)?.status).toBe('pending');
    test.engine.approvals.withdraw(approval.id, 'test done');
  });

  it('long-polls until a decision, or answers at the timeout with it still pending', async () => {
    const { approval } = held();
    const timedOut = await call<ApprovalWaitResponse>('GET', `/api/approvals/${approval.id}/wait?timeout=1`);
    expect(timedOut.body).toMatchObject({ timed_out: true, approval: { status: 'pending' } });
    const waiting = call<ApprovalWaitResponse>('GET', `/api/approvals/${approval.id}/wait?timeout=60s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    test.engine.approvals.decide(approval.id, { approve: false, reason: 'not now', by: { via: 'test' } });
    const decided = await waiting;
    expect(decided.body).toMatchObject({
      timed_out: false,
      approval: { status: 'denied', reason: 'not now' },
    });
    // Already decided: answered at once.
    const at = await call<ApprovalWaitResponse>('GET', `/api/approvals/${approval.id}/wait?timeout=600`);
    expect(at.body).toMatchObject({ timed_out: false, approval: { status: 'denied' } });
  });

  it('pushes every approval change on /api/live', async () => {
    const ws = new WebSocket(
      `${api.replace('http', 'ws')}/api/live?access_token=${test.engine.addresses.token}`,
    );
    const messages: LiveMessage[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as LiveMessage));
    await new Promise((resolve) => ws.once('open', resolve));
    const { approval } = held('DROP TABLE orders', 'pg.drop');
    await call('POST', `/api/approvals/${approval.id}/approve`, {});
    const deadline = Date.now() + 10_000;
    const changes = () =>
      messages.flatMap((m) => (m.type === 'approval' && m.approval.id === approval.id ? [m.approval] : []));
    while (changes().length < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    ws.close();
    expect(changes().map((a) => a.status)).toEqual(['pending', 'approved']);
    expect(changes()[0]).toMatchObject({ subject: { text: 'DROP TABLE orders', rule: { id: 'pg.drop' } } });
  });
});
