import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityComponent } from '../../proxy/identity/component.js';
import { IdentityController } from '../../proxy/identity/control.js';
import { discover } from '../../proxy/identity/discovery.js';
import { IdentityError } from '../../proxy/identity/errors.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import type { IdentitySettings, SignInFailure, SignInState } from '../../proxy/identity/types.js';
import { waitFor } from '../helpers/cli.js';
import { useStoreHome } from '../helpers/files.js';
import { testIdentitySettings } from '../helpers/identity-signin.js';
import { formBrowser } from '../helpers/oidc-browser.js';
import { startOidcProvider, TEST_CLIENT_ID, type TestOidcProvider } from '../helpers/oidc-provider.js';

async function signInAt(url: string, login: string): Promise<string> {
  const browser = formBrowser();
  let page = await browser.get(url);
  page = await browser.submit(page, { login, password: 'any' });
  page = await browser.submit(page);
  return page.text;
}

describe('IdentityController: sign-in and sign-out inside the engine', () => {
  const paths = useStoreHome('gb-login-control-');
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });

  const setup = async (
    settingsFor: (op: TestOidcProvider) => IdentitySettings | null = testIdentitySettings,
  ) => {
    const op = await startOidcProvider();
    cleanup.push(() => op.close());
    const { home } = paths();
    const settings = settingsFor(op);
    const source = new IdentityComponent({ home, settings: settings ?? undefined, warn: () => undefined });
    await source.start();
    cleanup.push(() => source.stop());
    const lines: string[] = [];
    const control = new IdentityController({ home, settings, source, log: (line) => lines.push(line) });
    cleanup.push(() => control.stop());
    const states: SignInState[] = [];
    source.subscribe((state) => states.push(state));
    return { op, home, source, control, lines, states };
  };

  it('begin → the URL; the completed sign-in is stored and reaches the live source', async () => {
    const { op, home, source, control, lines, states } = await setup();
    const { url } = await control.beginBrowserLogin();
    expect(url.startsWith(`${op.issuer}/auth?`)).toBe(true);
    expect(await signInAt(url, 'alice')).toContain('You may close this tab.');
    await waitFor(() => source.state().status === 'signed-in', 10_000, 'the source to see the sign-in');
    expect(source.current()).toMatchObject({
      verified: true,
      subject: 'alice',
      groups: ['engineering', 'auditors'],
    });
    expect(states.at(-1)?.claims?.email).toBe('alice@example.test');
    expect(openTokenStore(home).read()?.claims.subject).toBe('alice');
    expect(lines.join('\n')).toContain('Signed in as Alice Example <alice@example.test>');
  });

  it('a second begin cancels the first: only the second sign-in counts', async () => {
    const { control, source } = await setup();
    const first = await control.beginBrowserLogin();
    const second = await control.beginBrowserLogin();
    const firstRedirect = new URL(first.url).searchParams.get('redirect_uri') ?? '';
    await expect(fetch(`${firstRedirect}?code=x&state=y`)).rejects.toThrow(/fetch failed/);
    await signInAt(second.url, 'bob');
    await waitFor(() => source.state().status === 'signed-in', 10_000, 'the sign-in');
    expect(source.state().claims?.subject).toBe('bob');
  });

  it('logout revokes the refresh token, forgets the tokens and the source says signed out', async () => {
    const { op, home, source, control, lines } = await setup();
    const { url } = await control.beginBrowserLogin();
    await signInAt(url, 'alice');
    await waitFor(() => source.state().status === 'signed-in', 10_000, 'the sign-in');
    const refreshToken = openTokenStore(home).read()?.refresh_token ?? '';
    expect(refreshToken).not.toBe('');
    await control.logout();
    await waitFor(() => source.state().status === 'signed-out', 10_000, 'the sign-out');
    expect(existsSync(join(home, 'tokens.json'))).toBe(false);
    expect(lines.at(-1)).toContain(`the refresh token was revoked at ${op.issuer}`);
    const config = await discover({ issuer: op.issuer, clientId: TEST_CLIENT_ID });
    const refused = await client.refreshTokenGrant(config, refreshToken).then(
      () => null,
      (e: unknown) => e,
    );
    expect((refused as client.ResponseBodyError).error).toBe('invalid_grant');
  });

  it('once logout resolves, the live source already says signed out (what the API answers is not stale)', async () => {
    const { control, source } = await setup();
    const { url } = await control.beginBrowserLogin();
    await signInAt(url, 'alice');
    await waitFor(() => source.state().status === 'signed-in', 10_000, 'the sign-in');
    await control.logout();
    expect(source.state().status).toBe('signed-out');
    expect(source.current()).toMatchObject({ verified: false, identity_status: 'signed-out' });
  });

  it('tells its listeners when a sign-in is denied at the provider, and not when one is cancelled', async () => {
    const { op, control, source, lines } = await setup();
    const failures: SignInFailure[] = [];
    control.onSignInFailed((failure) => failures.push(failure));
    const cancelled = await control.beginBrowserLogin();
    const { url } = await control.beginBrowserLogin();
    // The person clicks the provider's "[ Cancel ]" instead of signing in.
    const browser = formBrowser();
    const login = await browser.get(url);
    const abort = /href="([^"]*\/abort)"/.exec(login.text)?.[1];
    expect(abort, login.text).toBeTruthy();
    const back = await browser.get(new URL(abort!, login.url).href);
    expect(back.text).toContain('access_denied');
    await waitFor(() => failures.length > 0, 10_000, 'the failure to be told');
    expect(failures).toEqual([
      {
        code: 'refused',
        message: expect.stringContaining(`The sign-in was denied at ${op.issuer} (access_denied`),
      },
    ]);
    expect(new URL(cancelled.url).searchParams.get('state')).not.toBe(new URL(url).searchParams.get('state'));
    expect(source.state().status).toBe('signed-out');
    // The log line is the sentence, not prefixed with the error's code ("refused: The sign-in …").
    expect(lines.at(-1)).toMatch(/^sign-in ended: The sign-in was denied at /);
  });

  it('without an identity section, begin says sign-in is not configured', async () => {
    const { control } = await setup(() => null);
    const error = await control.beginBrowserLogin().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).code).toBe('not-configured');
  });
});
