/**
 * The dashboard, in Chromium, says when the Anthropic API cannot be reached: a banner appears while requests
 * fail and goes once the upstream answers again, without a reload.
 */
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { freePort } from '../helpers/pg-proxy.js';
import { launchChromium, screenshot } from './browser.js';

describe('dashboard banner for a failing upstream, in Chromium', () => {
  let port: number;
  let test: TestEngine;
  let mock: MockAnthropic | undefined;
  let browser: Browser;
  let page: Page;

  const ask = () =>
    fetch(`${test.engine.addresses.anthropicUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-glassbox-session': 'banner' },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });

  beforeAll(async () => {
    port = await freePort(); // nothing listens there until the test starts the mock
    test = await startTestEngine(`http://127.0.0.1:${port}`);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await browser?.close();
    await test?.cleanup();
    await mock?.stop();
  });

  it('shows no banner before anything failed, then one naming the upstream and the cause', async () => {
    await page.goto(test.engine.addresses.dashboardUrl);
    await page
      .getByTestId('live-state')
      .filter({ hasText: /^live$/ })
      .waitFor();
    expect(await page.getByTestId('upstream-failing').count()).toBe(0);
    expect((await ask()).status).toBe(502);
    const banner = page.getByTestId('upstream-failing');
    await banner.waitFor();
    const text = await banner.textContent();
    expect(text).toContain('Cannot reach the Anthropic API');
    expect(text).toContain(`http://127.0.0.1:${port}/`);
    expect(text).toContain('ECONNREFUSED');
    await screenshot(page, 'upstream-failing-banner');
  });

  it('takes the banner away once the upstream answers again', async () => {
    mock = await MockAnthropic.start({ port });
    expect((await ask()).status).toBe(200);
    await page.getByTestId('upstream-failing').waitFor({ state: 'detached' });
  });
});
