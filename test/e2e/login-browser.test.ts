import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../proxy/identity/types.js';
import { runCliAsync } from '../helpers/cli.js';
import { useStoreHome } from '../helpers/files.js';
import { printedAuthorizationUrl, startLogin, writeIdentityConfig } from '../helpers/login-cli.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { launchChromium, screenshot } from './browser.js';

/**
 * `glassbox login --no-open` as the real bin, its printed URL opened in Chromium, the provider's own login and
 * consent pages filled in, and the loopback callback page read: authorization code + PKCE end to end.
 */
describe('glassbox login in a real browser (Chromium)', () => {
  const paths = useStoreHome('gb-login-e2e-');
  let browser: Browser;
  let op: TestOidcProvider;
  const kills: (() => void)[] = [];

  beforeAll(async () => {
    op = await startOidcProvider();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await op?.close();
  });
  afterEach(() => {
    for (const kill of kills.splice(0)) kill();
  });

  it('signs alice in through the provider pages; whoami shows her groups; no token outside the store', async () => {
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, ['--no-open']);
    kills.push(() => login.child.kill());
    const url = await printedAuthorizationUrl(login);

    const context = await browser.newContext();
    // The provider's built-in pages import Google Fonts; tests use no network beyond loopback.
    await context.route(/fonts\.googleapis\.com|fonts\.gstatic\.com/, (route) => route.abort());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(url);
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').first().click();
    await page.getByRole('heading', { name: 'Authorize' }).waitFor();
    await page.locator('button[type="submit"]').first().click();
    await page.getByRole('heading', { name: 'Signed in to Glassbox' }).waitFor();
    expect(await page.locator('body').innerText()).toContain(
      'Signed in as Alice Example. You may close this tab.',
    );
    expect(page.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
    await screenshot(page, 'login-callback');
    await context.close();

    expect(await login.exited).toBe(0);
    expect(login.stdout()).toContain(
      `Signed in as Alice Example <alice@example.test> (groups: engineering, auditors) via ${op.issuer}; tokens in`,
    );

    const whoami = await runCliAsync(home, ['whoami', '--json']);
    expect(whoami.code).toBe(0);
    expect(JSON.parse(whoami.stdout)).toMatchObject({
      status: 'signed-in',
      issuer: op.issuer,
      claims: {
        issuer: op.issuer,
        subject: 'alice',
        email: 'alice@example.test',
        name: 'Alice Example',
        groups: ['engineering', 'auditors'],
      },
    });

    const tokensFile = join(home, 'tokens.json');
    expect(statSync(tokensFile).mode & 0o777).toBe(0o600);
    const tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as TokenSet;
    const state = readFileSync(join(home, 'identity.json'), 'utf8');
    for (const secret of [tokens.access_token, tokens.refresh_token, tokens.id_token]) {
      expect(secret).toBeTruthy();
      expect(state).not.toContain(secret);
      expect(whoami.stdout).not.toContain(secret);
      expect(login.stdout() + login.stderr()).not.toContain(secret);
    }
  }, 90_000);
});
