import pg from 'pg';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { launchChromium, screenshot } from './browser.js';

const KEY = 'sk-ant-api03-Zq7xW2mN9pL4kR8sT1vY6bC3dF5gH0jK-PLANTED';
const EMAIL = 'ana.lopez@acme-corp.io';
const CARD = '4111 1111 1111 1111';
const EMPLOYEE = 'EMP-482913';
const DRAFT = {
  custom: [{ id: 'custom.employee_id', description: 'Employee badge', pattern: 'EMP-[0-9]{6}' }],
  columns: [{ match: 'customers.email', action: { type: 'partial', keep: 6 }, wire: true }],
};

/** The masking view in Chromium against a real engine and a real PostgreSQL. */
describe('masking preview in Chromium', () => {
  let setup: PgProxySetup;
  let browser: Browser;
  let page: Page;

  const policyEvents = () =>
    setup.test.engine.store
      .listSessions({ kind: 'http', limit: 100 })
      .filter((s) => s.client === 'glassbox-policy')
      .flatMap((s) => setup.test.engine.store.listEvents(s.id).filter((e) => e.kind === 'policy.changed'));

  beforeAll(async () => {
    setup = await startPgProxy();
    const admin = new pg.Client({ connectionString: setup.pg.superuserUrl });
    await admin.connect();
    await admin.query(`
      CREATE TABLE customers (id int PRIMARY KEY, email text, card_number text, note text);
      INSERT INTO customers VALUES (1, '${EMAIL}', '${CARD}', 'badge ${EMPLOYEE}'), (2, NULL, NULL, 'none');
    `);
    await admin.end();
    // A recorded session holding an employee id, for "Try on recordings".
    const agent = new pg.Client({ connectionString: setup.url });
    await agent.connect();
    await agent.query(`SELECT id FROM customers WHERE note = 'badge ${EMPLOYEE}'`);
    await agent.end();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(setup.test.engine.addresses.dashboardUrl);
    await page.getByTestId('nav-masking').click();
    await page.getByTestId('policy-version').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await setup?.cleanup();
  });

  it('lists the policy in force and masks a pasted secret live, each span labelled by its detector', async () => {
    expect(new URL(page.url()).pathname).toBe('/masking');
    await expect
      .poll(() => page.getByTestId('policy-version').textContent())
      .toContain(setup.test.engine.policy.current().version);
    const email = page.getByTestId('detector-pii.email');
    expect(await email.textContent()).toMatch(/on.*pii\.email.*redact/);
    await page.getByTestId('preview-input').fill(`ANTHROPIC_API_KEY=${KEY}\nreply to ${EMAIL}`);
    const output = page.getByTestId('preview-output');
    await expect
      .poll(() => output.textContent())
      .toBe('ANTHROPIC_API_KEY=[MASKED:secret.anthropic_api_key]\nreply to [MASKED:pii.email]');
    expect(await output.locator('mark[data-detector="secret.anthropic_api_key"]').count()).toBe(1);
    expect(await output.locator('mark[data-detector="pii.email"]').count()).toBe(1);
    expect(await page.content()).not.toContain('Zq7xW2mN9pL4kR8sT1vY6bC3dF5gH0jK-PLANTED</');
    await screenshot(page, 'masking-text');
  });

  it('checks the draft as it is typed, naming the field, and previews the valid draft', async () => {
    const editor = page.getByTestId('draft-text');
    await editor.fill('{"columns": [{"match": "x"}]');
    await expect.poll(() => page.getByTestId('draft-state').textContent()).toBe('not valid JSON');
    await editor.fill('{"columns": [{"match": "x"}]}');
    await expect
      .poll(() => page.getByTestId('draft-issue').first().textContent())
      .toMatch(/^columns\[0\]\.action: /);
    expect(await page.getByTestId('apply-draft').isDisabled()).toBe(true);
    await editor.fill(JSON.stringify(DRAFT, null, 2));
    await expect
      .poll(() => page.getByTestId('draft-state').textContent())
      .toMatch(/^valid · would be version /);
    await page.getByTestId('preview-input').fill(`badge ${EMPLOYEE} of ${EMAIL}`);
    await expect
      .poll(() => page.getByTestId('preview-output').textContent())
      .toBe('badge [MASKED:custom.employee_id] of [MASKED:pii.email]');
  });

  it('tries the draft on the recordings: what it would mask beyond the policy in force, shown masked', async () => {
    await page.getByRole('tab', { name: 'Try on recordings' }).click();
    await page.getByTestId('try-run').click();
    const found = page.getByTestId('try-custom.employee_id');
    await found.waitFor();
    expect(await found.textContent()).toContain('[MASKED:custom.employee_id]');
    expect(await page.getByTestId('try-result').textContent()).not.toContain(EMPLOYEE);
    await screenshot(page, 'masking-recordings');
  });

  it('previews a table of the real PostgreSQL side by side, masked cells highlighted, and records nothing', async () => {
    const before = setup.test.engine.store.listSessions({ limit: 100 }).length;
    await page.getByRole('tab', { name: 'PostgreSQL table' }).click();
    await expect
      .poll(() => page.getByTestId('table-name').locator('option').allTextContents())
      .toEqual(['public.customers']);
    await page.getByTestId('table-run').click();
    const database = page.getByTestId('rows-database');
    const agent = page.getByTestId('rows-agent');
    await agent.waitFor();
    expect(await database.locator('tbody tr').first().locator('td').allTextContents()).toEqual([
      '1',
      EMAIL,
      CARD,
      `badge ${EMPLOYEE}`,
    ]);
    const maskedEmail = `${'•'.repeat(EMAIL.length - 6)}orp.io`;
    expect(await agent.locator('tbody tr').first().locator('td').allTextContents()).toEqual([
      '1',
      maskedEmail,
      CARD,
      `badge ${EMPLOYEE}`,
    ]);
    expect(await agent.locator('td.masked-cell').allTextContents()).toEqual([maskedEmail]);
    expect(await database.locator('td.masked-cell').count()).toBe(0);
    await screenshot(page, 'masking-table');
    await page.getByRole('button', { name: 'As Glassbox stores them' }).click();
    const stored = page.getByTestId('rows-stored');
    await stored.waitFor();
    expect(await stored.locator('td.masked-cell').allTextContents()).toEqual([
      maskedEmail,
      '[MASKED:column.card_number]',
      'badge [MASKED:custom.employee_id]',
    ]);
    expect(setup.test.engine.store.listSessions({ limit: 100 })).toHaveLength(before);
  });

  it('applies the draft after a confirmation, and the view shows the new version in force', async () => {
    const before = setup.test.engine.policy.current().version;
    const recorded = policyEvents().length;
    await page.getByTestId('apply-draft').click();
    await page.getByTestId('apply-confirm').waitFor();
    // The confirmation has the focus: Enter applies.
    await page.keyboard.press('Enter');
    await page.getByTestId('policy-applied').waitFor();
    const now = setup.test.engine.policy.current().version;
    expect(now).not.toBe(before);
    expect(await page.getByTestId('policy-version').textContent()).toContain(now);
    expect(await page.getByTestId('policy-applied').textContent()).toContain(now);
    expect(await page.getByTestId('detector-custom.employee_id').textContent()).toMatch(/on.*Employee badge/);
    expect(await page.getByTestId('draft-state').textContent()).toBe('same as the policy in force');
    const events = policyEvents();
    expect(events).toHaveLength(recorded + 1);
    expect(events.at(-1)!.payload).toMatchObject({ via: 'api', version: now, previous: before });
    // The engine masks with it at once: the same text, masked by the policy now in force.
    expect(setup.test.engine.policy.current().text.mask(`badge ${EMPLOYEE}`).text).toBe(
      'badge [MASKED:custom.employee_id]',
    );
    await screenshot(page, 'masking-applied');
    // Esc leaves the view for the sessions list, where the change shows as a Policy session.
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('Escape');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/');
  });

  it('records the next statement masked by the applied draft, as its session page shows', async () => {
    const agent = new pg.Client({ connectionString: setup.url });
    await agent.connect();
    await agent.query(`SELECT id FROM customers WHERE note = 'badge ${EMPLOYEE}'`);
    await agent.end();
    const session = setup.test.engine.store.listSessions({ kind: 'postgres', limit: 1 })[0]!;
    await page.goto(new URL(`/s/${session.id}`, page.url()).toString());
    const statement = page.getByTestId('statement').first();
    await statement.waitFor();
    await expect
      .poll(() => statement.textContent())
      .toContain("WHERE note = 'badge [MASKED:custom.employee_id]'");
    expect(await page.locator('body').textContent()).not.toContain(EMPLOYEE);
  });
});
