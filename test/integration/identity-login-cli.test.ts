import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { discover } from '../../proxy/identity/discovery.js';
import { expiredState, readSignInState, writeSignInState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import { runCliAsync } from '../helpers/cli.js';
import { useStoreHome } from '../helpers/files.js';
import { signInForTest } from '../helpers/identity-signin.js';
import { printedAuthorizationUrl, startLogin, writeIdentityConfig } from '../helpers/login-cli.js';
import { formBrowser } from '../helpers/oidc-browser.js';
import {
  type OidcProviderOptions,
  startOidcProvider,
  TEST_CLIENT_ID,
  type TestOidcProvider,
} from '../helpers/oidc-provider.js';

describe('glassbox login (browser) / whoami / logout as the real bin', () => {
  const paths = useStoreHome('gb-login-cli-');
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });
  const provider = async (options: OidcProviderOptions = {}): Promise<TestOidcProvider> => {
    const started = await startOidcProvider(options);
    cleanup.push(() => started.close());
    return started;
  };

  it('without an identity section, login shows the config.json snippet to add', async () => {
    const { home } = paths();
    const result = await runCliAsync(home, ['login']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(home, 'config.json')} has no "identity" section`);
    expect(result.stderr).toContain('"identity": {\n    "issuer": "https://');
    expect(result.stderr).toContain('"clientId": "glassbox"');
  });

  it('--no-open: refuses a redirect with the wrong state, then signs in through the printed URL', async () => {
    const op = await provider();
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, ['--no-open']);
    cleanup.push(() => void login.child.kill());
    const url = await printedAuthorizationUrl(login);
    expect(login.stderr()).toContain('Open this URL in a browser on this machine');
    const redirect = new URL(url).searchParams.get('redirect_uri') ?? '';
    const forged = await fetch(`${redirect}?code=forged&state=someone-else`);
    expect(forged.status).toBe(400);
    await login.waitForErr(/Refused a redirect that did not carry this sign-in's state/, 'the refusal');
    const browser = formBrowser();
    let page = await browser.get(url);
    page = await browser.submit(page, { login: 'alice', password: 'any' });
    page = await browser.submit(page);
    expect(page.text).toContain('You may close this tab.');
    expect(await login.exited).toBe(0);
    expect(login.stdout()).toContain(
      'Signed in as Alice Example <alice@example.test> (groups: engineering, auditors)',
    );
    expect(op.tokenRequests).toEqual(['authorization_code']);
  });

  it('--timeout: the browser never comes back', async () => {
    const op = await provider();
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, ['--no-open', '--timeout', '1']);
    cleanup.push(() => void login.child.kill());
    expect(await login.exited).toBe(2);
    expect(login.stderr()).toContain(`The browser did not come back from ${op.issuer} within 1 s`);
    expect(readSignInState(home).status).toBe('signed-out');
  });

  it('Ctrl+C cancels a waiting login', async () => {
    const op = await provider();
    const { home } = paths();
    writeIdentityConfig(home, op);
    const login = startLogin(home, ['--no-open']);
    cleanup.push(() => void login.child.kill());
    await printedAuthorizationUrl(login);
    login.child.kill('SIGINT');
    expect(await login.exited).toBe(130);
    expect(login.stderr()).toContain('Sign-in cancelled.');
  });

  it('whoami: signed in, expired (exit 1 with the reason), signed out (exit 1)', async () => {
    const op = await provider();
    const { home } = paths();
    writeIdentityConfig(home, op);
    const out = await runCliAsync(home, ['whoami']);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`Not signed in: run \`glassbox login\` to sign in at ${op.issuer}.`);

    await signInForTest(op, home, 'alice');
    const signedIn = await runCliAsync(home, ['whoami']);
    expect(signedIn.code).toBe(0);
    expect(signedIn.stdout).toContain('Signed in as Alice Example <alice@example.test>');
    expect(signedIn.stdout).toMatch(/groups: +engineering, auditors/);
    expect(signedIn.stdout).toMatch(/expires: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in \d+ s\)/);
    expect(signedIn.stdout).toMatch(/tokens: +.*tokens\.json \(0600\)/);

    const reason = 'the provider refused the refresh token (invalid_grant)';
    writeSignInState(home, expiredState(readSignInState(home), reason));
    const expired = await runCliAsync(home, ['whoami']);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toContain(`Your sign-in expired (${reason}): run \`glassbox login\``);
    const json = await runCliAsync(home, ['whoami', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'expired', reason, issuer: op.issuer });
  }, 60_000);

  it('logout revokes the refresh token at the provider and forgets the tokens', async () => {
    const op = await provider();
    const { home } = paths();
    writeIdentityConfig(home, op);
    const tokens = await signInForTest(op, home, 'alice');
    const result = await runCliAsync(home, ['logout']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Signed out Alice Example <alice@example.test>: the refresh token was revoked at ${op.issuer}`,
    );
    expect(existsSync(join(home, 'tokens.json'))).toBe(false);
    expect(readSignInState(home).status).toBe('signed-out');
    expect((await runCliAsync(home, ['whoami'])).code).toBe(1);
    const config = await discover({ issuer: op.issuer, clientId: TEST_CLIENT_ID });
    const refused = await client.refreshTokenGrant(config, tokens.refresh_token ?? '').then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(client.ResponseBodyError);
    expect((refused as client.ResponseBodyError).error).toBe('invalid_grant');
  }, 60_000);

  it('logout at a provider without revocation forgets the tokens and says they stay valid there', async () => {
    const op = await provider({ revocation: false });
    const { home } = paths();
    await signInForTest(op, home, 'alice');
    const result = await runCliAsync(home, ['logout']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `the tokens were forgotten. ${op.issuer} does not offer token revocation`,
    );
    expect(openTokenStore(home).read()).toBeNull();
    expect(readSignInState(home).status).toBe('signed-out');
  });

  it('logout forgets the tokens even when the provider cannot be reached, and says so', async () => {
    const op = await provider();
    const { home } = paths();
    const tokens = await signInForTest(op, home, 'alice');
    await op.close();
    cleanup.length = 0;
    const result = await runCliAsync(home, ['logout']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the tokens were forgotten, but revoking them at');
    expect(result.stdout).toContain('Cannot reach the identity provider');
    expect(result.stdout).toContain('they stay valid there until they expire');
    expect(openTokenStore(home).read()).toBeNull();
    expect(readFileSync(join(home, 'identity.json'), 'utf8')).not.toContain(tokens.access_token);
    expect(readSignInState(home).status).toBe('signed-out');
    // A second logout has nothing to forget.
    expect((await runCliAsync(home, ['logout'])).stdout).toContain(
      'Not signed in: there were no tokens to forget.',
    );
  });
});
