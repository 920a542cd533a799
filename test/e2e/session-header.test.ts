import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import type { Browser, Page } from 'playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionsResponse } from '../../proxy/api/types.js';
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

  it('keeps the Claude session header on one line, the title shortened, and turn costs adding up', async () => {
    const sessionId = randomUUID();
    const client = new Anthropic({
      baseURL: setup.test.engine.addresses.anthropicUrl,
      apiKey: 'sk-ant-api03-e2eHeaderKey0123456789abcdefghijklmnopqrstuvwxy-TEST',
      maxRetries: 0,
      defaultHeaders: { 'x-claude-code-session-id': sessionId },
    });
    const first = [{ role: 'user' as const, content: 'price the widgets' }];
    // claude-opus-5-5 at $4 / $20 per million tokens: the mock's 25 in and 12 out cost $0.00034 a turn.
    const reply = await client.messages.create({ model: 'claude-opus-5-5', max_tokens: 50, messages: first });
    const messages = [
      ...first,
      { role: 'assistant' as const, content: reply.content },
      { role: 'user' as const, content: 'and the gadgets' },
    ];
    await client.messages.create({ model: 'claude-opus-5-5', max_tokens: 50, messages });
    await rows().filter({ hasText: 'Claude' }).first().click();
    await page.getByTestId('turn').nth(1).waitFor();
    await expect.poll(() => page.locator('.facts').textContent()).toContain('2 turns');

    const header = await page.locator('.title-row').evaluate((row) => {
      const rowBox = row.getBoundingClientRect();
      const children = [...row.children];
      // Whether a child takes more than one line: two of its text or innermost element boxes (the status dot)
      // that do not overlap vertically (boxes on one line overlap whatever their size or alignment).
      const wraps = children.map((child) => {
        const boxes: Array<{ top: number; bottom: number }> = [];
        const walker = row.ownerDocument.createTreeWalker(child, 4 /* NodeFilter.SHOW_TEXT */);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const range = row.ownerDocument.createRange();
          range.selectNodeContents(node);
          boxes.push(...[...range.getClientRects()].filter((r) => r.width > 0));
        }
        for (const leaf of child.querySelectorAll('*'))
          if (leaf.children.length === 0) boxes.push(leaf.getBoundingClientRect());
        return boxes.some((a) => boxes.some((b) => b.top >= a.bottom - 1));
      });
      const title = children.find((child) => child.classList.contains('title'))!;
      return {
        wrapped: children.filter((_, i) => wraps[i]).map((child) => (child.textContent ?? '').trim()),
        outside: children
          .filter((child) => child.getBoundingClientRect().right > rowBox.right + 0.5)
          .map((child) => (child.textContent ?? '').trim()),
        title: {
          text: title.textContent,
          shortened: title.scrollWidth > title.clientWidth,
          ellipsis: row.ownerDocument.defaultView!.getComputedStyle(title).textOverflow,
          width: title.clientWidth,
        },
      };
    });
    await screenshot(page, 'session-header-900px');
    expect(header.wrapped).toEqual([]);
    expect(header.outside).toEqual([]);
    expect(header.title.text).toBe(sessionId);
    // At 900 px the 36-character id does not fit beside the controls: it is shortened with an ellipsis.
    expect(header.title.shortened).toBe(true);
    expect(header.title.ellipsis).toBe('ellipsis');
    expect(header.title.width).toBeGreaterThan(100);
    const costs = await page.getByTitle('estimated cost').allTextContents();
    expect(costs).toEqual(['$0.00034', '$0.00034']);
    expect(await page.locator('.facts').textContent()).toContain('$0.00068');
  });

  it("sets the Raw tab's entries in the same gutter as the conversation's", async () => {
    await rows().filter({ hasText: 'Claude' }).first().click();
    await page.getByTestId('turn').first().waitFor();
    /** How far an element's left edge is from the scrolling area's, px. */
    const left = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((element) => {
          const scroll = element.closest('.scroll')!.getBoundingClientRect().left;
          return element.getBoundingClientRect().left - scroll;
        });
    const turnLeft = await left('[data-testid="turn"]');
    await page.getByRole('tab', { name: /Raw/ }).click();
    await page.getByTestId('raw-event').first().waitFor();
    const rawLeft = await left('[data-testid="raw-event"] .raw-head');
    await screenshot(page, 'session-raw-900px');
    expect(turnLeft).toBeGreaterThan(8);
    expect(rawLeft).toBe(turnLeft);
  });

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
