import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localIdentity } from '../../proxy/identity/local.js';
import type { ApprovalOutcome } from '../../proxy/policy/guard/types.js';
import { sqlSubject } from '../helpers/approvals.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { launchChromium, screenshot } from './browser.js';
import { InboxPage } from './inbox-page.js';

/**
 * The Approvals inbox in Chromium against a real in-process engine: approvals requested through the
 * engine's broker (subjects built by hand, as the PostgreSQL hold would build them) appear live with the
 * header's count, and are approved and denied from the keyboard; the engine's waiting side sees the outcome.
 */
describe('approvals inbox in Chromium', () => {
  let test: TestEngine;
  let browser: Browser;
  let page: Page;
  let inbox: InboxPage;
  const me = localIdentity().os_user;
  /** What each requester is answered, by approval id (the PostgreSQL hold waits on this). */
  const outcomes = new Map<string, Promise<ApprovalOutcome>>();

  beforeAll(async () => {
    test = await startTestEngine('http://127.0.0.1:9');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    inbox = new InboxPage(page);
    await page.goto(test.engine.addresses.dashboardUrl);
    await page
      .getByTestId('live-state')
      .filter({ hasText: /^live$/ })
      .waitFor();
    await inbox.open();
  });
  afterAll(async () => {
    await browser?.close();
    await test?.cleanup();
  });

  /** Requests an approval for `sql` as the PostgreSQL hold would, and returns its id and outcome. */
  function request(sql: string, options: Parameters<typeof sqlSubject>[2] = {}) {
    const subject = sqlSubject(test.engine.store, sql, options);
    const { approval, settled } = test.engine.approvals.request(subject);
    outcomes.set(approval.id, settled);
    return { id: approval.id, session: subject.session_id, settled };
  }

  it('shows new requests at once, newest first, with their facts and the header’s count', async () => {
    expect(new URL(page.url()).pathname).toBe('/approvals');
    await page.getByTestId('approvals-empty').waitFor();
    expect(await inbox.badge()).toBeNull();
    const first = request('DELETE FROM orders');
    const shown = Date.now();
    await inbox.card(first.id).waitFor();
    console.log(`approval shown in the inbox ${Date.now() - shown} ms after the request`);
    await expect.poll(() => inbox.badge()).toBe('1');
    expect(await page.title()).toBe('(1) Glassbox');
    const card = inbox.card(first.id);
    expect(await card.getByTestId('chips').locator('.chip').allTextContents()).toEqual([
      'DELETE',
      'no WHERE',
      'orders',
    ]);
    expect(await card.getByTestId('estimate').textContent()).toBe('≈ 12,000 rows of public.orders');
    expect(await card.getByTestId('rule-message').textContent()).toBe(
      'DELETE without WHERE needs an approval',
    );
    expect(await card.locator('.sql').textContent()).toBe('DELETE FROM orders');
    expect(await card.getByTestId('requester').textContent()).toMatch(new RegExp(`${me}.*psql.*shop`));
    expect(await card.getByTestId('time-left').textContent()).toMatch(/^[45]:\d\d left$/);

    const second = request('DELETE FROM carts', { rule: 'pg.carts' });
    await inbox.card(second.id).waitFor();
    await expect.poll(() => inbox.badge()).toBe('2');
    expect(await inbox.order()).toEqual([second.id, first.id]);
    await screenshot(page, 'approvals-pending');
  });

  it('approves the selected one once with `a`, and says who decided; the waiting side goes ahead', async () => {
    const [, older] = await inbox.order();
    const waiting = test.engine.approvals.get(older!)!;
    expect(waiting.status).toBe('pending');
    await inbox.approveOnce(older!);
    const card = inbox.card(older!);
    await expect.poll(() => card.getAttribute('data-status')).toBe('approved');
    expect(await card.getByTestId('decided-by').textContent()).toBe(me);
    expect(await card.getByTestId('decision').textContent()).toMatch(
      /^approved by .* via dashboard at .* · once/,
    );
    expect(await card.getByTestId('self-approved').count()).toBe(1);
    await expect.poll(() => inbox.badge()).toBe('1');
    const outcome = await outcomes.get(older!)!;
    expect(outcome.status).toBe('approved');
    expect(outcome.approval).toMatchObject({
      status: 'approved',
      scope: { type: 'once' },
      decided_by: { os_user: me, via: 'dashboard', self_approved: true },
    });
    // Decided ones follow the pending ones.
    expect((await inbox.order()).at(-1)).toBe(older);
  });

  it('denies with a reason typed after `d`, and the requester is told it', async () => {
    const pending = request('TRUNCATE orders', { rule: 'pg.truncate' });
    await inbox.card(pending.id).waitFor();
    await expect.poll(() => inbox.badge()).toBe('2');
    await inbox.deny(pending.id, 'not during business hours');
    const outcome: ApprovalOutcome = await pending.settled;
    expect(outcome.status).toBe('denied');
    expect(outcome.approval.reason).toBe('not during business hours');
    expect(outcome.approval.decided_by).toMatchObject({ os_user: me, via: 'dashboard' });
    const card = inbox.card(pending.id);
    await expect.poll(() => card.getAttribute('data-status')).toBe('denied');
    expect(await card.getByTestId('decision-reason').textContent()).toBe('“not during business hours”');
    await expect.poll(() => inbox.badge()).toBe('1');
    await screenshot(page, 'approvals-decided');
  });

  it('updates a card in place when it is decided elsewhere', async () => {
    const [newest] = await inbox.order();
    const card = inbox.card(newest!);
    expect(await card.getAttribute('data-status')).toBe('pending');
    // Decided by someone else through the control API (as `glassbox deny` does).
    test.engine.approvals.decide(newest!, {
      approve: false,
      reason: 'decided in the terminal',
      by: { os_user: 'bob', via: 'cli' },
    });
    await expect.poll(() => card.getAttribute('data-status')).toBe('denied');
    expect(await card.getByTestId('decided-by').textContent()).toBe('bob');
    expect(await card.getByTestId('decision-reason').textContent()).toBe('“decided in the terminal”');
    expect(await inbox.badge()).toBeNull();
    expect(await page.title()).toBe('Glassbox');
  });

  it('says plainly that an approval was decided meanwhile when its decision comes too late (409)', async () => {
    // A second tab whose live feed loses approval messages (a stale view), so it still shows one pending.
    const stale = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    stale.setDefaultTimeout(15_000);
    const feed = { drop: false };
    await stale.routeWebSocket(/\/api\/live/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        if (!(feed.drop && String(message).includes('"type":"approval"'))) ws.send(message);
      });
    });
    try {
      await stale.goto(test.engine.addresses.dashboardUrl);
      const other = new InboxPage(stale);
      await other.open();
      const late = request('DROP TABLE orders', { rule: 'pg.drop' });
      await other.card(late.id).waitFor();
      feed.drop = true;
      test.engine.approvals.decide(late.id, {
        approve: false,
        reason: 'no',
        by: { os_user: 'bob', via: 'cli' },
      });
      expect(await other.card(late.id).getAttribute('data-status')).toBe('pending');
      await other.approveOnce(late.id);
      const alert = other.card(late.id).getByTestId('approval-error');
      await alert.waitFor();
      expect(await alert.textContent()).toBe(
        `Already decided: approval ${late.id} is no longer pending: it was denied (HTTP 409)`,
      );
      // The card then shows how it ended, read from the API.
      await expect.poll(() => other.card(late.id).getAttribute('data-status')).toBe('denied');
      expect(test.engine.approvals.get(late.id)?.decided_by?.os_user).toBe('bob');
    } finally {
      await stale.close();
    }
  });

  it('shows the approval in the session’s timeline: waiting until decided, then the decision', async () => {
    const first = request('DELETE FROM orders');
    await inbox.card(first.id).waitFor();
    await inbox.card(first.id).getByTestId('session-link').click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/s/${first.session}`);
    const lines = page.getByTestId('guard-text');
    await expect
      .poll(() => lines.allTextContents())
      .toEqual([
        `waiting for approval ${first.id} — rule pg.delete-without-where: DELETE without WHERE needs an approval`,
      ]);
    expect(await page.getByTestId('held').textContent()).toBe('waiting for approval');
    test.engine.approvals.decide(first.id, { approve: true, by: { os_user: 'bob', via: 'cli' } });
    await expect
      .poll(() => lines.allTextContents())
      .toEqual([
        `approval ${first.id} requested — rule pg.delete-without-where: DELETE without WHERE needs an approval (approved)`,
        `approval ${first.id} approved by bob via cli · once`,
      ]);
    expect(await page.getByTestId('held').count()).toBe(0);
    // The line links back to the approval in the inbox.
    await page.getByTestId('approval-link').first().click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/approvals/${first.id}`);
    await expect.poll(() => inbox.selected()).toBe(first.id);
  });
});
