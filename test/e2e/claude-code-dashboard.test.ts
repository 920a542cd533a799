/**
 * The dashboard in Chromium on sessions the real Claude Code CLI recorded through the engine: its system
 * note and reminders shown as collapsed System notes and the model as Claude, its prompt found by search
 * with a snippet and opened with Enter, and its retries of a failing request shown as one turn.
 */
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClaude } from '../helpers/claude-cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { claudeCodePlan, MockAnthropic, type MockRequest } from '../helpers/mock-anthropic.js';
import { launchChromium, screenshot } from './browser.js';

/** Claude Code's Bash loop, except that any request about narwhals fails as overloaded (HTTP 529). */
function plan(request: MockRequest) {
  if (JSON.stringify(request.body).includes('narwhals')) {
    return { type: 'status' as const, status: 529, errorType: 'overloaded_error', message: 'Overloaded' };
  }
  return claudeCodePlan(request);
}

describe('dashboard on sessions the real claude CLI recorded', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let browser: Browser;
  let page: Page;
  let okapiSession: string;
  let narwhalSession: string;

  beforeAll(async () => {
    mock = await MockAnthropic.start({ plan });
    test = await startTestEngine(mock.url);
    const url = test.engine.addresses.anthropicUrl;
    const okapi = await runClaude(url, 'run echo glassbox-hello for the okapi census');
    expect(okapi.code, okapi.stderr).toBe(0);
    okapiSession = (JSON.parse(okapi.stdout) as { session_id: string }).session_id;
    // The CLI tries the failing request three times (two retries), then gives up.
    const narwhals = await runClaude(url, 'count the narwhals', 2);
    narwhalSession = (JSON.parse(narwhals.stdout) as { session_id: string }).session_id;
    expect(mock.requests.filter((r) => JSON.stringify(r.body).includes('narwhals'))).toHaveLength(3);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    await page.goto(test.engine.addresses.dashboardUrl);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await test?.cleanup();
    await mock?.stop();
  });

  const rows = () => page.getByTestId('session-row');
  const search = () => page.getByLabel('full-text search');
  /** Back to the list, unfiltered, and into the session with this Claude Code session id. */
  async function open(externalId: string) {
    if ((await page.locator('.session-view').count()) > 0) await page.keyboard.press('Escape');
    await search().fill('');
    await rows()
      .filter({ has: page.locator(`[title="${externalId}"]`) })
      .click();
    await page.locator('h1.title', { hasText: externalId }).waitFor();
  }

  it('finds the prompt by a word of it, shows where it matched, and opens the top hit with Enter', async () => {
    await expect.poll(() => rows().count(), { timeout: 10_000 }).toBe(2);
    await page.keyboard.press('/');
    await page.keyboard.type('okapi');
    await expect.poll(() => rows().count(), { timeout: 5_000 }).toBe(1);
    const match = page.getByTestId('search-match');
    await expect.poll(() => match.textContent()).toContain('run echo glassbox-hello for the okapi census');
    expect(await match.locator('mark').allTextContents()).toEqual(['okapi']);
    expect(await match.textContent()).toMatch(/^turn 1, prompt /);
    await screenshot(page, 'claude-code-search');
    await search().press('Enter');
    await page.locator('h1.title', { hasText: okapiSession }).waitFor();
  });

  it('shows the system note and the reminders as collapsed System notes, and the model as Claude', async () => {
    await open(okapiSession);
    const first = page.getByTestId('turn').first();
    await first.waitFor();
    expect(await first.locator('.msg > .role').allTextContents()).toEqual([
      'System',
      'User',
      'System',
      'Claude',
    ]);
    const second = page.getByTestId('turn').nth(1);
    expect(await second.locator('.msg > .role').allTextContents()).toEqual(['User', 'Claude']);
    const shown = (await page.locator('.session-view').textContent()) ?? '';
    expect(shown).not.toMatch(/assistant/i);
    expect(shown).not.toContain('<system-reminder>');
    expect(shown).not.toContain('Primary working directory'); // collapsed: its first line only
    const note = first.getByTestId('system-note').nth(1);
    expect(await note.textContent()).toContain('# Environment');
    await screenshot(page, 'claude-code-session');
    await note.getByRole('button').click();
    await expect.poll(() => note.textContent()).toContain('Primary working directory');
  });

  it('says no session matches a word only the injected boilerplate has', async () => {
    if ((await page.locator('.session-view').count()) > 0) await page.keyboard.press('Escape');
    await search().fill('Primary working directory');
    await page.getByTestId('no-matches').waitFor();
    expect(await page.getByTestId('no-matches').textContent()).toBe(
      'No sessions match “Primary working directory”.',
    );
    expect(await page.getByTestId('empty-state').count()).toBe(0);
  });

  it('shows the CLI’s retries of a failing request as one turn with its attempts', async () => {
    await open(narwhalSession);
    await page.getByTestId('turn').first().waitFor();
    expect(await page.getByTestId('turn').count()).toBe(1);
    const retries = page.getByTestId('retries');
    // The turn is the third attempt, and it failed too.
    expect(await retries.textContent()).toMatch(
      /3 attempts over .* — all failed: HTTP 529 overloaded_error ×3$/,
    );
    expect(await page.getByTitle('total duration').textContent()).toMatch(/ over 3 attempts$/);
    expect(await page.getByText(/New context/).count()).toBe(0);
    // Each attempt is a turn of the session: the tab counts what the header counts.
    expect(await page.locator('.facts').textContent()).toContain('3 turns');
    expect((await page.getByRole('tab', { name: /Conversation/ }).textContent())?.replace(/\s+/g, ' ')).toBe(
      'Conversation 3',
    );
    expect(await page.getByTestId('turn-error').textContent()).toContain('overloaded_error');
    await screenshot(page, 'claude-code-retries');
  });
});
