import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockAnthropic, type MockRequest } from '../helpers/mock-anthropic.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { launchChromium, screenshot } from './browser.js';

const API_KEY = 'sk-ant-api03-e2eDashboardKey0123456789abcdefghijklmnopqrstuv-TEST';
const PROMPT = 'Please list the zebrafish directory and summarise it';
const TOOL_OUTPUT = 'zebrafish.txt\nnotes-on-fins.md';

/** The mock's replies: a Bash tool call first, then a Markdown answer once the tool result comes back. */
/**
 * A long reply streamed slowly (a delta every 40 ms), to watch it grow in the dashboard. Its last delta
 * ("The end.") waits for the test, so the reply is still streaming however slow the page is to show it.
 */
const SLOW_REPLY = `${'The sea otter holds hands while sleeping. '.repeat(8)}The end.`;

/** `slowReplyEnd`: what the slow reply's last delta waits for. */
function toolLoop(request: MockRequest, slowReplyEnd: Promise<unknown>) {
  const messages = (request.body as { messages: Array<{ role: string; content: unknown }> }).messages;
  if (messages[0]?.content === 'stream slowly please') {
    return {
      type: 'message' as const,
      content: [{ type: 'text' as const, text: SLOW_REPLY }],
      eventDelayMs: 40,
      holdLastDelta: slowReplyEnd,
    };
  }
  if (messages.length === 1) {
    return {
      type: 'message' as const,
      stop_reason: 'tool_use',
      content: [
        { type: 'thinking' as const, thinking: 'I should look at the directory first.', signature: 'sig-1' },
        { type: 'text' as const, text: 'Let me look.' },
        {
          type: 'tool_use' as const,
          id: 'toolu_e2e_1',
          name: 'Bash',
          input: { command: 'ls /data/zebrafish' },
        },
      ],
    };
  }
  return {
    type: 'message' as const,
    content: [{ type: 'text' as const, text: 'It holds **two files**: `zebrafish.txt` and notes.' }],
  };
}

describe('dashboard in Chromium against a real engine', () => {
  let mock: MockAnthropic;
  let setup: PgProxySetup;
  let browser: Browser;
  let page: Page;
  let client: Anthropic;
  let releaseSlowReply: () => void = () => undefined;
  const slowReplyEnd = new Promise<void>((resolve) => {
    releaseSlowReply = resolve;
  });

  beforeAll(async () => {
    mock = await MockAnthropic.start({ deltaChars: 8, plan: (request) => toolLoop(request, slowReplyEnd) });
    setup = await startPgProxy({
      tweak: (config) => {
        config.anthropic.upstream = mock.url;
      },
      // Not about guardrails: the timeline's DO block would wait for approval under the default policy. Off for
      // PostgreSQL alone, without a policy.json, whose recorded change would be one more session in the list.
      guard: { guard: () => undefined },
    });
    client = new Anthropic({
      baseURL: setup.test.engine.addresses.anthropicUrl,
      apiKey: API_KEY,
      maxRetries: 0,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 860 }, acceptDownloads: true });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  });
  afterAll(async () => {
    releaseSlowReply();
    await browser?.close();
    await setup?.cleanup();
    await mock?.stop();
  });

  const rows = () => page.getByTestId('session-row');

  it('opens authorised from the printed URL, keeps the token out of the address bar, shows the empty state', async () => {
    const { dashboardUrl, token } = setup.test.engine.addresses;
    expect(dashboardUrl).toContain('#token=');
    await page.goto(dashboardUrl);
    await page.getByTestId('empty-state').waitFor();
    expect(page.url()).not.toContain(token);
    expect(await page.evaluate("sessionStorage.getItem('glassbox.token')")).toBe(token);
    const command = await page.getByTestId('copy-command').textContent();
    expect(command).toBe(`export ANTHROPIC_BASE_URL=${setup.test.engine.addresses.anthropicUrl}`);
    await page
      .getByTestId('live-state')
      .filter({ hasText: /^live$/ })
      .waitFor();
    await screenshot(page, '1-empty-state');
  });

  it('shows a new SDK turn in the list live, then its second turn', async () => {
    const first = await client.messages.create(
      { model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: PROMPT }] },
      { headers: { 'x-glassbox-session': 'e2e-claude' } },
    );
    const row = rows().filter({ hasText: 'Claude' });
    await row.first().waitFor({ timeout: 5_000 });
    await expect.poll(() => row.first().textContent(), { timeout: 5_000 }).toMatch(/live/);
    const toolUse = first.content.find((b) => b.type === 'tool_use');
    expect(toolUse?.type).toBe('tool_use');
    await client.messages.create(
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 200,
        messages: [
          { role: 'user', content: PROMPT },
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'toolu_e2e_1', content: TOOL_OUTPUT }],
          },
        ],
      },
      { headers: { 'x-glassbox-session': 'e2e-claude' } },
    );
    // The turns column (6th) moves to 2 without a reload.
    await expect
      .poll(async () => (await row.first().locator('span').nth(5).textContent())?.trim(), { timeout: 5_000 })
      .toBe('2');
  });

  it('shows a PostgreSQL session appear live', async () => {
    const db = new pg.Client({ connectionString: setup.url, application_name: 'e2e-psql' });
    await db.connect();
    try {
      await db.query('create table fish (id int primary key, name text)');
      await db.query('insert into fish values ($1, $2), ($3, $4)', [1, 'zebrafish', 2, "o'fish"]);
      await db.query('select id, name from fish order by id');
      await db.query("do $$ begin raise notice 'fins counted'; end $$");
      await expect(db.query('select * from no_such_table')).rejects.toThrow(/no_such_table/);
    } finally {
      await db.end();
    }
    await rows().filter({ hasText: 'PostgreSQL' }).first().waitFor({ timeout: 5_000 });
    expect(await rows().count()).toBe(2);
    await screenshot(page, '2-sessions-list');
  });

  it('finds a prompt by a word in it with full-text search', async () => {
    await page.keyboard.press('/');
    await page.keyboard.type('zebrafish');
    await expect.poll(() => rows().count(), { timeout: 5_000 }).toBe(2); // the prompt and the inserted value
    await page.getByLabel('kind').selectOption('anthropic');
    await expect.poll(() => rows().count(), { timeout: 5_000 }).toBe(1);
    await screenshot(page, '3-search');
    await page.getByLabel('full-text search').fill('summarise');
    await expect.poll(() => rows().count(), { timeout: 5_000 }).toBe(1);
    await page.getByLabel('full-text search').fill('hippopotamus');
    await expect.poll(() => rows().count(), { timeout: 5_000 }).toBe(0);
    await page.getByLabel('full-text search').fill('');
    await page.getByLabel('kind').selectOption('');
    await expect.poll(() => rows().count(), { timeout: 5_000 }).toBe(2);
  });

  it('shows a Claude session as a conversation with its tool call and tool result', async () => {
    await rows().filter({ hasText: 'Claude' }).first().click();
    const call = page.getByTestId('tool-call').first();
    await call.waitFor();
    expect(await call.textContent()).toContain('Bash');
    expect(await call.textContent()).toContain('"command": "ls /data/zebrafish"');
    const result = page.getByTestId('tool-result').first();
    expect(await result.textContent()).toContain('notes-on-fins.md');
    expect(await page.locator('.md strong').first().textContent()).toBe('two files');
    expect(await page.getByText(PROMPT).count()).toBe(1);
    await expect.poll(() => page.getByTestId('integrity').textContent()).toMatch(/chain intact · 4 events/);
    await screenshot(page, '4-claude-session');
    await page.getByRole('tab', { name: /Raw/ }).click();
    await page.getByTestId('raw-event').first().waitFor();
    expect(await page.getByTestId('raw-event').first().textContent()).toContain('http.request');
    await screenshot(page, '5-claude-raw');
    await page.getByRole('tab', { name: /Conversation/ }).click();
  });

  it('exports the session as a downloaded JSON Lines file', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'JSONL' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^glassbox-[0-9A-Z]{26}\.jsonl$/);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'session', external_id: 'e2e-claude' });
    expect(lines.slice(1).map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual([
      'http.request',
      'llm.turn',
      'http.request',
      'llm.turn',
    ]);
  });

  it('replays the session to the end at 16×', async () => {
    await page.getByRole('button', { name: '16×' }).click();
    await page.getByRole('button', { name: 'Play' }).click();
    await page.getByTestId('replay').and(page.locator('[data-state="ended"]')).waitFor({ timeout: 20_000 });
    expect(await page.getByText('Replay finished').count()).toBe(1);
    expect(await page.getByTestId('turn').count()).toBe(2);
    expect(await page.getByTestId('tool-result').count()).toBe(1);
    await screenshot(page, '6-replay-finished');
  });

  it('shows a PostgreSQL session as a statement timeline with parameters, rows, notices and SQLSTATE errors', async () => {
    await page.keyboard.press('Escape');
    await rows().filter({ hasText: 'PostgreSQL' }).first().click();
    await page.getByTestId('statement').first().waitFor();
    const statements = page.getByTestId('statement');
    expect(await statements.count()).toBe(5);
    expect(await statements.nth(1).textContent()).toContain("o'fish");
    expect(await statements.nth(2).locator('table td').first().textContent()).toBe('1');
    expect(await statements.nth(2).locator('.hljs-keyword').first().textContent()).toMatch(/select/i);
    expect(await page.getByTestId('pg-event').filter({ hasText: 'fins counted' }).count()).toBe(1);
    const error = page.getByTestId('sql-error');
    expect(await error.locator('.sqlstate').textContent()).toBe('42P01');
    // The test project has no DOM typings; in the page, globalThis is the window.
    type Styles = { getComputedStyle: (el: unknown) => { color: string } };
    const red = await error
      .locator('.sqlstate')
      .evaluate((el) => (globalThis as unknown as Styles).getComputedStyle(el).color);
    expect(red).toMatch(/^rgb\((\d+), (\d+), (\d+)\)$/);
    const [r, g] = red.match(/\d+/g)!.map(Number);
    expect(r!).toBeGreaterThan(g! + 80);
    await screenshot(page, '7-postgres-session');
  });

  it('says plainly that nothing is recorded while recording is paused, and resumes from the banner', async () => {
    const { dashboardUrl, token } = setup.test.engine.addresses;
    const api = new URL(dashboardUrl).origin;
    const pause = await fetch(`${api}/api/recording`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ recording: false, via: 'e2e' }),
    });
    expect(pause.status).toBe(200);
    const banner = page.getByTestId('recording-paused');
    await banner.waitFor({ timeout: 5_000 });
    expect(await banner.textContent()).toMatch(/NOT recorded/);
    await screenshot(page, '8-recording-paused');
    await banner.getByRole('button', { name: 'Resume recording' }).click();
    await banner.waitFor({ state: 'detached', timeout: 5_000 });
    const state = (await (
      await fetch(`${api}/api/recording`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { recording: boolean };
    expect(state.recording).toBe(true);
    // The pause and the resume are themselves recorded, with who asked and through which client.
    const sessions = (await (
      await fetch(`${api}/api/sessions?target=glassbox`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { sessions: Array<{ id: string }> };
    const events = (await (
      await fetch(`${api}/api/sessions/${sessions.sessions[0]!.id}/events`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { events: Array<{ kind: string; payload: { via?: string } }> };
    expect(events.events.map((e) => [e.kind, e.payload.via])).toEqual([
      ['recording.paused', 'e2e'],
      ['recording.resumed', 'dashboard'],
      ['session.end', undefined],
    ]);
  });

  it('shows a reply growing while it streams, then the whole reply', async () => {
    await page.keyboard.press('Escape');
    const stream = client.messages.stream(
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 500,
        messages: [{ role: 'user', content: 'stream slowly please' }],
      },
      { headers: { 'x-glassbox-session': 'e2e-slow' } },
    );
    const done = stream.finalMessage();
    const row = rows().filter({ hasText: 'Claude' }).filter({ hasText: 'live' }).first();
    await row.waitFor({ timeout: 5_000 });
    await page.goto(new URL(`/s/${await sessionIdOf('e2e-slow')}`, page.url()).toString());
    const partial = page.getByTestId('partial-reply');
    await expect
      .poll(async () => ((await partial.count()) ? await partial.textContent() : ''), { timeout: 5_000 })
      .toContain('The sea otter');
    // Seen while the reply is still streaming: its end has not arrived yet.
    expect(await partial.textContent()).not.toContain('The end.');
    await screenshot(page, '9-reply-streaming');
    releaseSlowReply();
    await done;
    await expect
      .poll(async () => (await page.getByTestId('turn').last().textContent()) ?? '', { timeout: 5_000 })
      .toContain('The end.');
    expect(await partial.count()).toBe(0);
  });

  /** The id of the session the proxy keyed by `x-glassbox-session: external`, via the control API. */
  async function sessionIdOf(external: string): Promise<string> {
    const { dashboardUrl, token } = setup.test.engine.addresses;
    const response = await fetch(`${new URL(dashboardUrl).origin}/api/sessions?kind=anthropic&limit=50`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as { sessions: Array<{ id: string; external_id: string | null }> };
    const found = body.sessions.find((s) => s.external_id === external);
    if (!found) throw new Error(`no session ${external}`);
    return found.id;
  }
});
