import Anthropic from '@anthropic-ai/sdk';
import * as client from 'openid-client';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../proxy/identity/discovery.js';
import { readSignInState, writeSignInState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore, storeForState } from '../../proxy/identity/token-store.js';
import type { Session } from '../../proxy/store/types.js';
import { runClaude } from '../helpers/claude-cli.js';
import { runCliAsync } from '../helpers/cli.js';
import { type IdentitySetup, startIdentitySetup } from '../helpers/identity-engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';
import { launchChromium, screenshot } from './browser.js';

const API_KEY = 'sk-ant-api03-identityE2eKey0123456789abcdefghijklmnopqrstuvwxyz-TEST';
const ALICE = {
  verified: true,
  subject: 'alice',
  email: 'alice@example.test',
  name: 'Alice Example',
  groups: ['engineering', 'auditors'],
  identity_status: 'verified',
};

/**
 * Issue 18 end to end with real parts: an engine with sign-in configured against the real test OIDC provider,
 * the dashboard in Chromium signing in through the provider's own login and consent pages (opened by the
 * dashboard in a new tab), then PostgreSQL sessions (pg, real PostgreSQL) and Claude sessions (the Anthropic
 * SDK and the claude CLI, the stand-in upstream) recorded under the verified person; filters by group and
 * person; sign-out, a denied and an unstartable sign-in, and expiry, each seen live without a reload.
 */
describe('sign-in from the dashboard in Chromium, against a real OIDC provider', () => {
  let setup: IdentitySetup;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let claude: Anthropic;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    setup = await startIdentitySetup();
    claude = new Anthropic({
      baseURL: setup.test.engine.addresses.anthropicUrl,
      apiKey: API_KEY,
      maxRetries: 0,
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // The provider's built-in pages import Google Fonts; tests use no network beyond loopback.
    await context.route(/fonts\.googleapis\.com|fonts\.gstatic\.com/, (route) => route.abort());
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await setup?.cleanup();
  });

  const rows = () => page.getByTestId('session-row');
  const header = () => page.locator('.topbar');
  const ask = (session: string) =>
    claude.messages.create(
      { model: 'claude-sonnet-4-5-20250929', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-claude-code-session-id': session } },
    );
  const query = async (app: string) => {
    const client = new pg.Client({ connectionString: setup.pgUrl, application_name: app });
    await client.connect();
    await client.query('SELECT 1 AS one');
    await client.end();
  };
  /** `glassbox sessions --json` from the built bin, until `done` holds (the journal reaches the database). */
  const cliSessions = async (done: (sessions: Session[]) => boolean): Promise<Session[]> => {
    for (let attempt = 0; ; attempt++) {
      const listed = await runCliAsync(setup.home, ['sessions', '--json', '--limit', '50']);
      expect(listed.code, listed.stderr).toBe(0);
      const sessions = JSON.parse(listed.stdout) as Session[];
      if (done(sessions)) return sessions;
      if (attempt > 100) throw new Error(`the sessions never reached the database: ${listed.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('signs in from the header through the provider pages; the header shows Alice live', async () => {
    await page.goto(setup.test.engine.addresses.dashboardUrl);
    await page.getByTestId('not-signed-in').waitFor();
    expect(await page.getByTestId('not-signed-in').textContent()).toBe('Not signed in');
    await screenshot(page, 'identity-1-signed-out');

    const opened = context.waitForEvent('page');
    const started = page.waitForResponse(
      (r) => r.url().endsWith('/api/identity/login') && r.request().method() === 'POST',
    );
    await header().getByRole('button', { name: 'Sign in', exact: true }).click();
    expect((await started).status()).toBe(200);
    const provider = await opened;
    provider.setDefaultTimeout(20_000);
    await provider.waitForLoadState();
    expect(provider.url()).toContain(`${setup.provider.issuer}/interaction/`);
    // While the provider's page is open, the header keeps a link to it (should a pop-up blocker eat the tab).
    const link = header().getByRole('link', { name: 'Open the sign-in page' });
    expect(await link.getAttribute('href')).toMatch(new RegExp(`^${setup.provider.issuer}/auth\\?`));
    await screenshot(page, 'identity-1b-signing-in');
    await provider.locator('input[name="login"]').fill('alice');
    await provider.locator('input[name="password"]').fill('any password');
    await provider.locator('button[type="submit"]').first().click();
    await provider.getByRole('heading', { name: 'Authorize' }).waitFor();
    await provider.locator('button[type="submit"]').first().click();
    await provider.getByRole('heading', { name: 'Signed in to Glassbox' }).waitFor();
    expect(await provider.locator('body').innerText()).toContain('You may close this tab.');
    expect(provider.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
    await provider.close();

    // No reload: the live feed carries the new state to the header.
    const me = page.getByTestId('signed-in-as');
    await me.waitFor();
    expect(await me.textContent()).toBe('✓Alice Example · alice@example.test');
    await me.getByRole('img', { name: 'verified' }).waitFor();
    expect(await me.getAttribute('title')).toContain('Groups: engineering, auditors');
    expect(await header().getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    expect(await header().getByRole('link', { name: 'Open the sign-in page' }).count()).toBe(0);
    await screenshot(page, 'identity-2-signed-in');
  }, 120_000);

  it('records a PostgreSQL and a Claude session under Alice, verified, in the list, the page and the CLI', async () => {
    await query('alice-pg');
    await ask('alice-claude');
    const alice = rows().filter({ hasText: 'Alice Example' });
    await expect.poll(() => alice.count(), { timeout: 20_000 }).toBe(2);
    for (const kind of ['PostgreSQL', 'Claude']) {
      const row = alice.filter({ hasText: kind });
      expect(await row.getByTestId('identity').getAttribute('data-verified')).toBe('true');
      await row.getByTestId('identity').getByRole('img', { name: 'verified' }).waitFor();
    }

    const sessions = await cliSessions((all) => all.filter((s) => s.identity.verified).length === 2);
    const pgSession = sessions.find((s) => s.kind === 'postgres')!;
    const claudeSession = sessions.find((s) => s.kind === 'anthropic')!;
    const fingerprint = readSignInState(setup.home).token_fingerprint;
    expect(fingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
    for (const session of [pgSession, claudeSession]) {
      expect(session.identity).toMatchObject({
        ...ALICE,
        issuer: setup.provider.issuer,
        token_fingerprint: fingerprint,
      });
    }
    const show = await runCliAsync(setup.home, ['show', pgSession.id]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(
      `✓ verified Alice Example <alice@example.test> · groups engineering, auditors · issuer ${setup.provider.issuer}`,
    );

    for (const [session, kind] of [
      [pgSession, 'PostgreSQL'],
      [claudeSession, 'Claude'],
    ] as const) {
      await alice.filter({ hasText: kind }).click();
      await page.waitForURL(`**/s/${session.id}`);
      const badge = page.locator('.session-view .facts').getByTestId('identity');
      await badge.waitFor();
      expect(await badge.getAttribute('data-verified')).toBe('true');
      expect(await badge.textContent()).toContain('Alice Example');
      const groups = page.locator('.session-view .facts').getByTestId('identity-groups');
      expect(await groups.textContent()).toBe('engineering, auditors');
      await screenshot(page, `identity-3-session-${session.kind}`);
      await page.goBack();
      await page.getByTestId('sessions-scroll').waitFor();
    }
  }, 120_000);

  it('filters by group in the dashboard, with the filter in the address', async () => {
    const group = page.getByRole('combobox', { name: 'group', exact: true });
    await group.fill('auditors');
    await page.waitForURL(/[?&]group=auditors/);
    await expect.poll(() => rows().count()).toBe(2);
    expect(await rows().filter({ hasText: 'Alice Example' }).count()).toBe(2);

    // A new session of Alice's joins the filtered list live; an unverified one would not match.
    await query('alice-live-pg');
    await expect.poll(() => rows().count()).toBe(3);

    await group.fill('db-approvers');
    await page.waitForURL(/[?&]group=db-approvers/);
    await page.getByTestId('no-matches').waitFor();
    expect(await rows().count()).toBe(0);

    // The address alone sets the filter (a link to a filtered list).
    await page.goto(`${new URL(page.url()).origin}/?group=auditors`);
    await expect.poll(() => rows().count()).toBe(3);
    expect(await group.inputValue()).toBe('auditors');
    await group.fill('');
    await page.waitForURL((url) => !url.search.includes('group='));

    // By person: her email in any case.
    const person = page.getByRole('combobox', { name: 'person', exact: true });
    await person.fill('ALICE@example.test');
    await page.waitForURL(/[?&]person=ALICE%40example\.test/);
    await expect.poll(() => rows().count()).toBe(3);
    await person.fill('bob@example.test');
    await page.getByTestId('no-matches').waitFor();
    await person.fill('');
    await page.waitForURL((url) => !url.search.includes('person='));
  }, 60_000);

  it('signs out from the header; the next session is unverified and shown as such', async () => {
    const refreshToken = openTokenStore(setup.home).read()?.refresh_token;
    expect(refreshToken).toBeTruthy();
    await header().getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('not-signed-in').waitFor();
    expect(await page.getByTestId('signed-in-as').count()).toBe(0);
    await setup.untilStatus('signed-out');
    expect(openTokenStore(setup.home).read()).toBeNull();
    // Revoked at the provider, not only forgotten here.
    const config = await discover(testIdentitySettings(setup.provider));
    const refused = await client.refreshTokenGrant(config, refreshToken!).catch((e: unknown) => e);
    expect((refused as client.ResponseBodyError).error).toBe('invalid_grant');

    await ask('after-sign-out');
    const row = rows().filter({ hasText: 'unverified ·' });
    await row.waitFor();
    expect(await row.getByTestId('identity').getAttribute('data-verified')).toBe('false');
    const sessions = await cliSessions((all) => all.length === 4);
    expect(sessions.find((s) => s.external_id === 'after-sign-out')?.identity).toMatchObject({
      verified: false,
      subject: null,
      identity_status: 'signed-out',
    });
    await screenshot(page, 'identity-4-signed-out-again');
  }, 60_000);

  it('says in the header when the sign-in is denied at the provider; nothing else changes', async () => {
    const opened = context.waitForEvent('page');
    await header().getByRole('button', { name: 'Sign in', exact: true }).click();
    const provider = await opened;
    provider.setDefaultTimeout(20_000);
    await provider.getByRole('link', { name: '[ Cancel ]' }).click();
    await provider.getByRole('heading', { name: 'Sign-in failed' }).waitFor();
    expect(await provider.locator('body').innerText()).toContain('access_denied');
    await provider.close();

    const failure = page.getByTestId('sign-in-error');
    await failure.waitFor();
    expect(await failure.locator('strong').textContent()).toBe('Sign-in failed.');
    expect(await failure.textContent()).toContain(`The sign-in was denied at ${setup.provider.issuer}`);
    expect(await header().getByRole('link', { name: 'Open the sign-in page' }).count()).toBe(0);
    expect(await page.getByTestId('not-signed-in').textContent()).toBe('Not signed in');
    await screenshot(page, 'identity-4b-denied');
  }, 60_000);

  it('says "Sign in again" live when the sign-in expires; recording continues, marked sign-in expired', async () => {
    // Signed in again elsewhere (a device grant, as `glassbox login --device`): the header follows.
    await signInForTest(setup.provider, setup.home, 'alice');
    await page.getByTestId('signed-in-as').waitFor();
    // The grant is revoked at the provider (an administrator signs Alice out): the engine's next refresh is
    // refused (invalid_grant) and the sign-in turns expired. Forcing that refresh: the state's expiry is
    // moved to now, as if the access token had run out.
    const state = readSignInState(setup.home);
    const stored = storeForState(setup.home, state, process.env)?.read();
    const config = await discover(testIdentitySettings(setup.provider));
    await client.tokenRevocation(config, stored?.refresh_token ?? '', { token_type_hint: 'refresh_token' });
    writeSignInState(setup.home, { ...state, expires_at: Date.now(), changed_at: Date.now() - 60_000 });
    const banner = page.getByTestId('sign-in-again');
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text).toContain('Sign in again.');
    expect(text).toContain('glassbox login');
    expect(text).toContain('Recording continues');
    expect(readSignInState(setup.home)).toMatchObject({
      status: 'expired',
      reason: expect.stringMatching(/invalid_grant/),
    });
    await page.getByTestId('sign-in-expired').waitFor();
    expect(await header().getByRole('button', { name: 'Sign in again' }).isVisible()).toBe(true);
    await screenshot(page, 'identity-5-expired');

    await query('expired-pg');
    const row = rows().filter({ hasText: 'sign-in expired' });
    await row.waitFor();
    expect(await row.getByTestId('identity').getAttribute('data-verified')).toBe('false');
    const sessions = await cliSessions((all) => all.length === 5);
    expect(sessions.find((s) => s.client === 'expired-pg')?.identity).toMatchObject({
      verified: false,
      identity_status: 'expired',
    });
  }, 90_000);

  it('signs in again from the banner: the banner goes and Alice is back, live', async () => {
    const opened = context.waitForEvent('page');
    await page.getByTestId('sign-in-again').getByRole('button', { name: 'Sign in again' }).click();
    const provider = await opened;
    provider.setDefaultTimeout(20_000);
    // The provider may remember Alice from the first sign-in in this browser; it still asks for consent.
    const login = provider.locator('input[name="login"]');
    const consent = provider.getByRole('heading', { name: 'Authorize' });
    await login.or(consent).first().waitFor();
    if (await login.isVisible()) {
      await login.fill('alice');
      await provider.locator('input[name="password"]').fill('any password');
      await provider.locator('button[type="submit"]').first().click();
    }
    await consent.waitFor();
    await provider.locator('button[type="submit"]').first().click();
    await provider.getByRole('heading', { name: 'Signed in to Glassbox' }).waitFor();
    await provider.close();

    await page.getByTestId('signed-in-as').waitFor();
    await page.getByTestId('sign-in-again').waitFor({ state: 'detached' });
    expect(await page.getByTestId('sign-in-expired').count()).toBe(0);
    await query('again-pg');
    await rows().filter({ hasText: 'again-pg' }).getByRole('img', { name: 'verified' }).waitFor();

    // The real Claude Code CLI through the proxy: its session is Alice's too.
    const cli = await runClaude(setup.test.engine.addresses.anthropicUrl, 'say hello to the auditors');
    expect(cli.code, cli.stderr).toBe(0);
    const sessionId = (JSON.parse(cli.stdout) as { session_id: string }).session_id;
    const sessions = await cliSessions((all) => all.some((s) => s.external_id === sessionId));
    expect(sessions.find((s) => s.external_id === sessionId)?.identity).toMatchObject({
      ...ALICE,
      issuer: setup.provider.issuer,
    });
    await rows()
      .filter({ has: page.locator(`[title="${sessionId}"]`) })
      .getByRole('img', { name: 'verified' })
      .waitFor();
  }, 150_000);

  it('says why a sign-in cannot start when the provider is unreachable, in a banner the layout holds', async () => {
    await header().getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('not-signed-in').waitFor();
    await setup.provider.close();
    await header().getByRole('button', { name: 'Sign in', exact: true }).click();
    const failure = page.getByTestId('sign-in-error');
    await failure.waitFor();
    expect(await failure.locator('strong').textContent()).toBe('Sign-in could not start.');
    expect(await failure.innerText()).toContain(
      `Cannot reach the identity provider at ${setup.provider.issuer}`,
    );
    await screenshot(page, 'identity-6-unreachable');
    // The sentence is below the header, not in it (where it pushed the page wider than the window).
    expect(await header().getByText('Cannot reach the identity provider').count()).toBe(0);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
    await failure.getByRole('button', { name: 'Dismiss' }).click();
    await failure.waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
