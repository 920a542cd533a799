import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMicros } from '../../proxy/common/time.js';
import { localIdentity } from '../../proxy/identity/local.js';
import { ApprovalError, WITHDRAWN_AT_START, WITHDRAWN_AT_STOP } from '../../proxy/policy/approvals/broker.js';
import { APPROVAL_ID } from '../../proxy/policy/approvals/ids.js';
import type {
  ApprovalDecidedPayload,
  ApprovalRequestedPayload,
} from '../../proxy/policy/approvals/record.js';
import type { Approval } from '../../proxy/policy/guard/types.js';
import { Store } from '../../proxy/store/store.js';
import { heldStatement, sqlSubject } from '../helpers/approvals.js';
import { waitFor } from '../helpers/cli.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { collectOutput } from '../helpers/process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const me = { os_user: localIdentity().os_user, via: 'test' };

describe('approval broker in the engine', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  /** The timeout each request gets, changed by the expiry test (the settings are read at each request). */
  let timeoutMs = 60_000;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    test = await startTestEngine(mock.url, undefined, undefined, {
      approvals: () => ({ timeoutMs, sessionScopeMs: 15 * 60_000 }),
    });
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  const events = (sessionId: string, kind: string) =>
    test.engine.store.listEvents(sessionId).filter((e) => e.kind === kind);

  it('records a request, then an approval for once that lets the held statement go and covers nothing more', async () => {
    const { approvals, store } = test.engine;
    const subject = sqlSubject(store, 'DELETE FROM orders');
    const seen: Approval[] = [];
    const unsubscribe = approvals.subscribe((a) => seen.push(a));
    const { approval, settled } = approvals.request(subject);
    expect(approval.id).toMatch(APPROVAL_ID);
    expect(approval.status).toBe('pending');
    expect(approval.expires_at - approval.requested_at).toBe(60_000_000);
    expect(approvals.list().map((a) => a.id)).toContain(approval.id);

    const [requested] = events(subject.session_id, 'approval.requested');
    const payload = requested!.payload as ApprovalRequestedPayload;
    expect(payload).toMatchObject({
      approval_id: approval.id,
      request_seq: subject.request_seq,
      text: 'DELETE FROM orders',
      rule: { id: 'pg.delete-without-where' },
      identity: { os_user: me.os_user },
      client: 'psql',
      target: 'shop',
      context: { estimated_rows: 12_000 },
      expires_at: approval.expires_at,
    });
    expect(requested!.ts).toBe(approval.requested_at);

    const decided = approvals.decide(approval.id, { approve: true, reason: 'cleanup', by: me });
    expect(decided).toMatchObject({ status: 'approved', scope: { type: 'once' }, reason: 'cleanup' });
    const outcome = await settled;
    expect(outcome.status).toBe('approved');
    expect(outcome.approval.decided_by).toEqual({ ...me, self_approved: true });

    const [decidedEvent] = events(subject.session_id, 'approval.decided');
    expect(decidedEvent!.payload as ApprovalDecidedPayload).toEqual({
      approval_id: approval.id,
      request_seq: subject.request_seq,
      decision: 'approved',
      by: { ...me, self_approved: true },
      at: decided.decided_at,
      reason: 'cleanup',
      scope: { type: 'once' },
    });
    // The held statement used it: the same bytes again need another approval.
    expect(approvals.covered(subject)).toBeUndefined();
    expect(approvals.get(approval.id)?.status).toBe('approved');
    expect(approvals.list().map((a) => a.id)).not.toContain(approval.id);
    expect(approvals.list({ all: true }).map((a) => a.id)).toContain(approval.id);
    expect(seen.map((a) => a.status)).toEqual(['pending', 'approved']);
    unsubscribe();
    expect(store.verifySession(subject.session_id).intact).toBe(true);
  });

  it('in retry mode lets the same statement bytes through exactly once after approval, in its own session only', async () => {
    const { approvals, store } = test.engine;
    const subject = sqlSubject(store, 'TRUNCATE audit_log', { rule: 'pg.truncate', mode: 'retry' });
    expect(approvals.covered(subject)).toBeUndefined();
    const { approval } = approvals.request(subject);
    approvals.decide(approval.id, { approve: true, by: me });
    // Another session sending the same bytes (another connection, another agent) does not ride on it…
    const elsewhere = sqlSubject(store, 'TRUNCATE audit_log', { rule: 'pg.truncate', mode: 'retry' });
    expect(elsewhere.session_id).not.toBe(subject.session_id);
    expect(approvals.covered(elsewhere)).toBeUndefined();
    // …nor uses it up: the session that asked runs it again, once.
    const again = sqlSubject(store, 'TRUNCATE audit_log', {
      rule: 'pg.truncate',
      mode: 'retry',
      sessionId: subject.session_id,
    });
    expect(approvals.covered(again)?.id).toBe(approval.id);
    expect(approvals.covered(again)).toBeUndefined();
  });

  it('records a denial with its reason and who denied it', async () => {
    const { approvals, store } = test.engine;
    const subject = sqlSubject(store, 'DELETE FROM customers');
    const { approval, settled } = approvals.request(subject);
    approvals.decide(approval.id, { approve: false, reason: 'not on prod', by: me });
    const outcome = await settled;
    expect(outcome.status).toBe('denied');
    expect(outcome.approval).toMatchObject({ reason: 'not on prod', decided_by: { os_user: me.os_user } });
    expect(outcome.approval.scope).toBeUndefined();
    const decided = events(subject.session_id, 'approval.decided')[0]!.payload as ApprovalDecidedPayload;
    expect(decided).toMatchObject({ decision: 'denied', reason: 'not on prod', scope: null });
    expect(approvals.covered(subject)).toBeUndefined();
  });

  it('expires an approval nobody decides, at expires_at, and records it', async () => {
    const { approvals, store } = test.engine;
    timeoutMs = 300;
    const subject = sqlSubject(store, 'DROP TABLE orders', { rule: 'pg.drop' });
    const { approval, settled } = approvals.request(subject);
    timeoutMs = 60_000;
    expect(approval.expires_at - approval.requested_at).toBe(300_000);
    const outcome = await settled;
    expect(outcome.status).toBe('expired');
    expect(outcome.approval.decided_at!).toBeGreaterThanOrEqual(approval.expires_at);
    expect(outcome.approval.reason).toBe('nobody decided within 300ms');
    const decided = events(subject.session_id, 'approval.decided')[0]!.payload as ApprovalDecidedPayload;
    expect(decided).toMatchObject({ decision: 'expired', by: null });
    expect(() => approvals.decide(approval.id, { approve: true, by: me })).toThrow(
      `approval ${approval.id} is no longer pending: it was expired`,
    );
  });

  it('withdraws an approval whose client went away; deciding it afterwards is refused', async () => {
    const { approvals, store } = test.engine;
    const subject = sqlSubject(store, 'DELETE FROM carts');
    const { approval, settled } = approvals.request(subject);
    approvals.withdraw(approval.id, 'the client cancelled the statement');
    expect((await settled).status).toBe('withdrawn');
    approvals.withdraw(approval.id, 'again'); // no-op
    expect(events(subject.session_id, 'approval.decided')).toHaveLength(1);
    const error = (() => {
      try {
        approvals.decide(approval.id, { approve: true, by: me });
      } catch (caught) {
        return caught as ApprovalError;
      }
    })();
    expect(error).toBeInstanceOf(ApprovalError);
    expect(error).toMatchObject({ reason: 'not_pending', status: 'withdrawn' });
    expect(() => approvals.decide('ap_00000000', { approve: true, by: me })).toThrow(
      'no approval ap_00000000',
    );
  });

  it('a session approval covers the same rule in the same session until its time, and nothing else', async () => {
    const { approvals, store } = test.engine;
    const first = sqlSubject(store, 'DELETE FROM orders');
    const { approval, settled } = approvals.request(first);
    const until = nowMicros() + 15 * 60_000_000;
    approvals.decide(approval.id, { approve: true, scope: { type: 'session', until_us: until }, by: me });
    expect((await settled).approval.scope).toEqual({ type: 'session', until_us: until });
    const second = sqlSubject(store, 'DELETE FROM order_lines', { sessionId: first.session_id });
    expect(approvals.covered(second)?.id).toBe(approval.id);
    expect(approvals.covered(second)?.id).toBe(approval.id); // not consumed
    const otherRule = sqlSubject(store, 'DROP TABLE orders', {
      sessionId: first.session_id,
      rule: 'pg.drop',
    });
    expect(approvals.covered(otherRule)).toBeUndefined();
    const otherSession = sqlSubject(store, 'DELETE FROM order_lines');
    expect(approvals.covered(otherSession)).toBeUndefined();
    // A session approval that ends before now is refused.
    const late = approvals.request(sqlSubject(store, 'DELETE FROM x')).approval;
    expect(() =>
      approvals.decide(late.id, {
        approve: true,
        scope: { type: 'session', until_us: nowMicros() - 1 },
        by: me,
      }),
    ).toThrow(ApprovalError);
    approvals.withdraw(late.id, 'test done');
  });

  it('a session approval stops covering when its time is over', async () => {
    const { approvals, store } = test.engine;
    const first = sqlSubject(store, 'DELETE FROM a', { rule: 'short' });
    const { approval } = approvals.request(first);
    approvals.decide(approval.id, {
      approve: true,
      scope: { type: 'session', until_us: nowMicros() + 200_000 },
      by: me,
    });
    const second = sqlSubject(store, 'DELETE FROM b', { sessionId: first.session_id, rule: 'short' });
    expect(approvals.covered(second)?.id).toBe(approval.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(approvals.covered(second)).toBeUndefined();
  });

  it('keeps every requesting session chain intact', () => {
    const { store } = test.engine;
    const ids = new Set(store.approvals.list({ all: true, limit: 1_000 }).map((row) => row.session_id));
    expect(ids.size).toBeGreaterThan(5);
    for (const id of ids) expect(store.verifySession(id)).toMatchObject({ intact: true });
  });
});

describe('approvals when the engine stops', () => {
  it('withdraws what is still pending, recorded before the session ends', async () => {
    const mock = await MockAnthropic.start();
    const test = await startTestEngine(mock.url);
    try {
      const subject = sqlSubject(test.engine.store, 'DELETE FROM orders');
      const { approval, settled } = test.engine.approvals.request(subject);
      await test.engine.stop();
      const outcome = await settled;
      expect(outcome.status).toBe('withdrawn');
      expect(outcome.approval.reason).toBe(WITHDRAWN_AT_STOP);
      const again = await startTestEngine(mock.url, undefined, test.home);
      try {
        expect(again.engine.approvals.get(approval.id)).toMatchObject({
          status: 'withdrawn',
          reason: WITHDRAWN_AT_STOP,
        });
        const kinds = again.engine.store.listEvents(subject.session_id).map((e) => e.kind);
        expect(kinds).toEqual(['pg.statement', 'approval.requested', 'approval.decided', 'session.end']);
        expect(again.engine.store.verifySession(subject.session_id).intact).toBe(true);
      } finally {
        await again.engine.stop();
      }
    } finally {
      await test.cleanup().catch(() => undefined);
      await mock.stop();
    }
  });
});

describe('approvals after an engine was killed', () => {
  it('withdraws at the next start what the dead engine left pending, recorded in its session before it ends', async () => {
    const home = tempHome();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/approval-engine-main.ts', home], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collectOutput(child);
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const line = await waitFor(() => /PENDING (\S+) (\S+)/.exec(stdout), 60_000, 'the pending approval');
    const [, id, sessionId] = line;
    child.kill('SIGKILL');
    await output;
    const mock = await MockAnthropic.start();
    const test = await startTestEngine(mock.url, undefined, home);
    try {
      const approval = test.engine.approvals.get(id!);
      expect(approval).toMatchObject({ status: 'withdrawn', reason: WITHDRAWN_AT_START });
      expect(approval?.decided_by).toBeUndefined();
      expect(test.engine.approvals.list()).toEqual([]);
      const kinds = test.engine.store.listEvents(sessionId!).map((e) => e.kind);
      expect(kinds).toEqual([
        'pg.statement',
        'approval.requested',
        'approval.decided',
        'pg.result',
        'session.end',
      ]);
      expect(test.engine.store.verifySession(sessionId!).intact).toBe(true);
    } finally {
      await test.cleanup();
      await mock.stop();
    }
  });
});

describe('approvals left pending in a database edited by hand', () => {
  it('starts anyway, withdrawing a pending row whose session is not in the store and one whose subject is not JSON', async () => {
    const home = tempHome();
    const store = Store.open(join(home, 'glassbox.db'));
    const pending = {
      status: 'pending',
      requested_at: 1,
      expires_at: 2,
      decided_at: null,
      decided_by: null,
      reason: null,
      scope: null,
    };
    store.approvals.put({
      id: 'ap_00000001',
      session_id: 'NO-SUCH-SESSION',
      request_seq: 1,
      rule_id: 'r',
      what: '{}',
      ...pending,
    });
    const { session_id, seq } = heldStatement(store, 'DELETE FROM t');
    store.approvals.put({
      id: 'ap_00000002',
      session_id,
      request_seq: seq,
      rule_id: 'r',
      what: 'not json',
      ...pending,
    });
    store.close();
    const mock = await MockAnthropic.start();
    const test = await startTestEngine(mock.url, undefined, home);
    try {
      expect(test.engine.approvals.get('ap_00000001')).toMatchObject({
        status: 'withdrawn',
        reason: WITHDRAWN_AT_START,
      });
      expect(test.engine.approvals.get('ap_00000002')).toMatchObject({
        status: 'withdrawn',
        subject: { rule: { id: 'r' } },
      });
      const decided = test.engine.store.listEvents(session_id).filter((e) => e.kind === 'approval.decided');
      expect(decided.map((e) => (e.payload as ApprovalDecidedPayload).approval_id)).toEqual(['ap_00000002']);
    } finally {
      await test.cleanup();
      await mock.stop();
    }
  });
});
