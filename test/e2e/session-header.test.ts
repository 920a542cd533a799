import pg from 'pg';
import type { Browser, Page } from 'playwright';
import type { SessionsResponse } from '../../proxy/api/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { launchChromium, screenshot } from './browser.js';

/** Result rows the engine samples per statement here (config recording.sampleRows; the default is 20). */
const SAMPLE_ROWS = 30;

/**
 * A session's page in a 900 px Chromium window against a real engine: its header on one line with the title
 * shortened, turn costs that add up to the session's, the Raw tab's padding, a PostgreSQL result sample shown
 * whole, and the counts of a PostgreSQL session refused after login.
 */
describe('session page in a 900 px window', () => {
  let mock: MockAnthropic;
  let setup: PgProxySetup;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    setup = await startPgProxy({
      tweak: (config) => {
        config.anthropic.upstream = mock.url;
        config.recording.sampleRows = SAMPLE_ROWS;
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(setup.test.engine.addresses.dashboardUrl);
    await page.getByTestId('empty-state').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await setup?.cleanup();
    await mock?.stop();
  });
  afterEach(async () => {
    if (page && new URL(page.url()).pathname.startsWith('/s/')) await page.keyboard.press('Escape');
  });

  const rows = () => page.getByTestId('session-row');

  it('shows every recorded row of a result sample, in a bounded box, with a true caption', async () => {
    const db = new pg.Client({ connectionString: setup.url, application_name: 'e2e-sample' });
    await db.connect();
    try {
      await db.query(`select g as id, 'widget ' || g as name from generate_series(1, 50) g`);
    } finally {
      await db.end();
    }
    await rows().filter({ hasText: 'PostgreSQL' }).first().click();
    const statement = page.getByTestId('statement').first();
    await statement.locator('.sample').waitFor();
    expect(await statement.locator('.sample tbody tr').count()).toBe(SAMPLE_ROWS);
    expect(await statement.locator('.sample tbody tr').last().locator('td').first().textContent()).toBe(
      String(SAMPLE_ROWS),
    );
    expect(await statement.getByTestId('sample-note').textContent()).toBe(
      `first ${SAMPLE_ROWS} rows recorded of 50`,
    );
    const box = await statement
      .locator('.sample-rows')
      .evaluate((element) => ({ height: element.clientHeight, content: element.scrollHeight }));
    await screenshot(page, 'session-sample-900px');
    // Bounded: the rows scroll inside a box shorter than the window.
    expect(box.content).toBeGreaterThan(box.height);
    expect(box.height).toBeLessThan(600);
  });

  it('counts 0 statements and 0 rows for a PostgreSQL session refused after login', async () => {
    const url = new URL(setup.url);
    url.pathname = '/not_served_here';
    const db = new pg.Client({ connectionString: url.toString(), application_name: 'e2e-refused' });
    await expect(db.connect()).rejects.toThrow();
    await db.end().catch(() => undefined);
    // The list names the connection, not the database: find the session by its client.
    const { dashboardUrl, token } = setup.test.engine.addresses;
    const listed = (await (
      await fetch(`${new URL(dashboardUrl).origin}/api/sessions?kind=postgres`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as SessionsResponse;
    const refused = listed.sessions.find((s) => s.client === 'e2e-refused');
    expect(refused?.stats.statements).toBeUndefined();
    const row = page.locator(`[data-testid="session-row"][data-id="${refused!.id}"]`);
    await row.waitFor();
    expect(await row.locator('.num').first().textContent()).toBe('0');
    await row.click();
    await page.locator('.facts').waitFor();
    const facts = (await page.locator('.facts').textContent()) ?? '';
    await screenshot(page, 'session-refused-900px');
    expect(facts).toContain('0 statements · 0 rows');
    expect(facts).not.toContain('—');
  });
});
