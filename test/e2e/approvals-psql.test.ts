import { spawn } from 'node:child_process';
import pg from 'pg';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { collectOutput, type ProcessOutput } from '../helpers/process.js';
import { launchChromium, screenshot } from './browser.js';
import { InboxPage } from './inbox-page.js';

/**
 * The end to end in Chromium, with the default policy and nothing stood in: psql's `DELETE` without
 * a WHERE is held by the PostgreSQL proxy, appears in the dashboard's inbox, and approving it there lets
 * psql finish; a second one denied with a reason fails in psql with that reason, and the row stays.
 */
describe('a held psql statement decided in the dashboard', () => {
  let setup: PgProxySetup;
  let admin: pg.Client;
  let browser: Browser;
  let page: Page;
  let inbox: InboxPage;

  beforeAll(async () => {
    setup = await startPgProxy();
    admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
    await admin.query(`CREATE TABLE carts (id int); INSERT INTO carts VALUES (1), (2);
      CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2), (3);
      GRANT ALL ON carts, orders TO PUBLIC`);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    inbox = new InboxPage(page);
    await page.goto(setup.test.engine.addresses.dashboardUrl);
    await page
      .getByTestId('live-state')
      .filter({ hasText: /^live$/ })
      .waitFor();
    await inbox.open();
  });
  afterAll(async () => {
    await browser?.close();
    await admin?.end();
    await setup?.cleanup();
  });

  /** psql -c `sql` through Glassbox, asynchronously (the engine runs in this process). */
  function psql(sql: string): Promise<ProcessOutput> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
    const child = spawn('/usr/bin/psql', ['-X', '-w', '-d', setup.url, '-c', sql], {
      env: { ...env, LC_ALL: 'C', PGCONNECT_TIMEOUT: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    return collectOutput(child);
  }

  /** The id of the one pending approval, once the engine has it. */
  async function pendingId(): Promise<string> {
    await expect.poll(() => setup.test.engine.approvals.list().length).toBe(1);
    return setup.test.engine.approvals.list()[0]!.id;
  }

  const count = async (table: string) =>
    Number((await admin.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  it('holds DELETE without WHERE until it is approved in the inbox; then psql finishes', async () => {
    const run = psql('DELETE FROM orders');
    const id = await pendingId();
    const shown = Date.now();
    await inbox.card(id).waitFor();
    console.log(`held statement shown in the inbox ${Date.now() - shown} ms after the engine had it`);
    expect(await inbox.card(id).getByTestId('chips').locator('.chip').allTextContents()).toEqual(
      expect.arrayContaining(['DELETE', 'no WHERE']),
    );
    expect(await count('orders')).toBe(3); // held: nothing reached PostgreSQL
    await screenshot(page, 'approvals-psql-held');
    await inbox.approveOnce(id);
    const out = await run;
    expect(out.stderr).toContain(`Glassbox: waiting for approval ${id}`);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('DELETE 3');
    expect(await count('orders')).toBe(0);
    expect(setup.test.engine.approvals.get(id)).toMatchObject({
      status: 'approved',
      decided_by: { via: 'dashboard' },
    });
  });

  it('fails the statement in psql with the reason when it is denied in the inbox', async () => {
    const run = psql('DELETE FROM carts');
    const id = await pendingId();
    await inbox.card(id).waitFor();
    await inbox.deny(id, 'carts are still in use');
    const out = await run;
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(new RegExp(`ERROR: .*approval ${id} was denied .*carts are still in use`));
    expect(await count('carts')).toBe(2);
  });
});
