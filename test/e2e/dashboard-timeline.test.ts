import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import type { Browser, Page } from 'playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { launchChromium, screenshot } from './browser.js';

/**
 * The dashboard at a narrow window (900 px) in Chromium against a real engine: what its counts say, whether
 * its columns fit, the pause control, quiet Claude sessions shown idle, and a clean console.
 */
describe('dashboard timeline and layout in Chromium', () => {
  let mock: MockAnthropic;
  let setup: PgProxySetup;
  let browser: Browser;
  let page: Page;
  let client: Anthropic;
  /** Console errors and failed requests of the page, from its first load on. */
  const problems: string[] = [];

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    setup = await startPgProxy({
      tweak: (config) => {
        config.anthropic.upstream = mock.url;
      },
    });
    client = new Anthropic({
      baseURL: setup.test.engine.addresses.anthropicUrl,
      apiKey: 'sk-ant-api03-e2eTimelineKey0123456789abcdefghijklmnopqrstuv-TEST',
      maxRetries: 0,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    // The page's clock runs normally until a test moves it forward.
    await page.clock.install();
  });
  afterAll(async () => {
    await browser?.close();
    await setup?.cleanup();
    await mock?.stop();
  });

  // Each test starts from the sessions list, whatever the one before it left open.
  afterEach(async () => {
    if (page && new URL(page.url()).pathname.startsWith('/s/')) await page.keyboard.press('Escape');
  });

  const rows = () => page.getByTestId('session-row');
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const { dashboardUrl, token } = setup.test.engine.addresses;
    const response = await fetch(`${new URL(dashboardUrl).origin}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    return (await response.json()) as T;
  };

  it('loads with nothing failing in the console, the favicon included', async () => {
    const icon = page.waitForResponse((response) => /\/favicon\.\w+$/.test(response.url()));
    await page.goto(setup.test.engine.addresses.dashboardUrl);
    await page.getByTestId('empty-state').waitFor();
    expect((await icon).status()).toBe(200);
    await page
      .getByTestId('live-state')
      .filter({ hasText: /^live$/ })
      .waitFor();
    expect(problems).toEqual([]);
  });

  it('counts turns the same in the tab and the header, leaving out requests that are not turns', async () => {
    const headers = { 'x-glassbox-session': 'e2e-counts' };
    const messages = [{ role: 'user' as const, content: 'count me' }];
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages }, { headers });
    await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages }, { headers });
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages }, { headers });
    await rows().filter({ hasText: 'Claude' }).first().click();
    await expect.poll(() => page.getByTestId('integrity').textContent()).toMatch(/chain intact · 6 events/);
    expect(await page.getByRole('tab', { name: /Conversation/ }).textContent()).toBe('Conversation 2');
    expect(await page.locator('.facts').textContent()).toContain('2 turns');
  });

  it('counts statements the same in the tab and the header', async () => {
    const db = new pg.Client({ connectionString: setup.url, application_name: 'e2e-timeline' });
    await db.connect();
    try {
      await db.query('select 1');
      await db.query('select 2');
      await db.query('select 3');
    } finally {
      await db.end();
    }
    await rows().filter({ hasText: 'PostgreSQL' }).first().click();
    await page.getByTestId('statement').nth(2).waitFor();
    expect(await page.getByRole('tab', { name: /Statements/ }).textContent()).toBe('Statements 3');
    expect(await page.locator('.facts').textContent()).toContain('3 statements');
  });

  it('fits every column of the sessions table in a 900 px window', async () => {
    await rows().nth(1).waitFor();
    const overflow = await page.locator('.srow').evaluateAll((elements) =>
      elements.flatMap((row) =>
        [...row.children].flatMap((cell, i) => {
          // Columns left out at this width (identity, client) are not drawn at all.
          if (cell.getClientRects().length === 0) return [];
          const box = cell.getBoundingClientRect();
          const rowBox = row.getBoundingClientRect();
          const cut =
            box.width === 0 || box.right > rowBox.right + 0.5 || cell.scrollWidth > cell.clientWidth + 1;
          // Ellipsis cells (target, identity, client) may shorten long text; every other cell shows it whole.
          return cut && !cell.classList.contains('ellipsis')
            ? [`column ${i + 1}: "${cell.textContent}"`]
            : [];
        }),
      ),
    );
    await screenshot(page, 'timeline-900px-list');
    expect(overflow).toEqual([]);
    const head = await page.locator('.srow-head').textContent();
    expect(head).toContain('Started');
    expect(head).toContain('Duration');
  });

  it('pauses and resumes recording from the top bar; the pause is listed as a pause, not as Claude', async () => {
    await page.getByTestId('recording-toggle').click();
    await page.getByTestId('recording-paused').waitFor();
    expect((await api<{ recording: boolean; paused: { via: string } }>('/api/recording')).paused?.via).toBe(
      'dashboard',
    );
    expect(await page.getByTestId('recording-toggle').textContent()).toMatch(/Resume/);
    const pause = rows().filter({ hasText: 'glassbox-control' });
    await pause.waitFor();
    expect(await pause.locator('.kind').textContent()).toBe('Pause');
    await screenshot(page, 'timeline-paused');
    await page.getByTestId('recording-toggle').click();
    await page.getByTestId('recording-paused').waitFor({ state: 'detached' });
    expect((await api<{ recording: boolean }>('/api/recording')).recording).toBe(true);
    expect(await page.getByTestId('recording-toggle').textContent()).toMatch(/Pause/);
  });

  it('shows a quiet Claude session as idle, its duration stopped at its last event, in the list and its header', async () => {
    const headers = { 'x-glassbox-session': 'e2e-idle' };
    await client.messages.create(
      { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'then quiet' }] },
      { headers },
    );
    const row = rows().filter({ hasText: 'Claude' }).first();
    await expect.poll(() => row.locator('.status').textContent()).toBe('live');
    await page.clock.fastForward('05:00');
    await expect.poll(() => row.locator('.status').textContent()).toBe('idle');
    // The exchange took milliseconds; five minutes of quiet are not counted. (The row is refreshed from the
    // engine on a timer the fast-forward fires: until that answers it may still show the session as created.)
    await expect.poll(() => row.locator('span').last().textContent()).toMatch(/\d ms$|^\d+\.\d+ s$/);
    const duration = (await row.locator('span').last().textContent()) ?? '';
    expect(await row.getAttribute('class')).not.toContain('is-live');
    await screenshot(page, 'timeline-idle');
    await row.click();
    await expect.poll(() => page.locator('.session-head .status').textContent()).toBe('idle');
    expect(await page.locator('.facts').textContent()).toContain(duration);
    expect(problems).toEqual([]);
  });
});
