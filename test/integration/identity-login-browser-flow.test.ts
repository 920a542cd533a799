import { afterEach, describe, expect, it } from 'vitest';
import { startBrowserSignIn } from '../../proxy/identity/browser-flow.js';
import { discover } from '../../proxy/identity/discovery.js';
import { IdentityError } from '../../proxy/identity/errors.js';
import type { IdentitySettings } from '../../proxy/identity/types.js';
import { testIdentitySettings } from '../helpers/identity-signin.js';
import { type FetchedPage, formBrowser } from '../helpers/oidc-browser.js';
import {
  type OidcProviderOptions,
  startOidcProvider,
  type TestOidcProvider,
} from '../helpers/oidc-provider.js';

/** The IdentityError `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<IdentityError> {
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!(error instanceof IdentityError)) throw error;
  return error;
}

/** Logs in as `login` on the provider's pages and consents; returns the page the redirect ends on. */
async function signInAt(url: string, login = 'alice'): Promise<FetchedPage> {
  const browser = formBrowser();
  let page = await browser.get(url);
  page = await browser.submit(page, { login, password: 'any' });
  return browser.submit(page);
}

describe('browser sign-in (authorization code + PKCE through a loopback redirect)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });
  const provider = async (options: OidcProviderOptions = {}): Promise<TestOidcProvider> => {
    const started = await startOidcProvider(options);
    cleanup.push(() => started.close());
    return started;
  };
  const start = async (settings: IdentitySettings, timeoutMs?: number) => {
    const pending = await startBrowserSignIn(await discover(settings), settings, { timeoutMs });
    cleanup.push(() => pending.cancel());
    return pending;
  };

  it('asks for code + PKCE S256 + state on a loopback redirect, with consent for offline_access', async () => {
    const op = await provider();
    const settings = testIdentitySettings(op, { audience: 'https://glassbox.example.test' });
    const pending = await start(settings);
    const url = new URL(pending.url);
    expect(url.origin + url.pathname).toBe(`${op.issuer}/auth`);
    const p = url.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('state')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(p.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(p.get('scope')).toBe('openid email profile groups offline_access');
    expect(p.get('prompt')).toBe('consent');
    expect(p.get('audience')).toBe('https://glassbox.example.test');
    expect(p.get('resource')).toBe('https://glassbox.example.test');
  });

  it('no offline_access: no forced consent prompt', async () => {
    const op = await provider();
    const pending = await start(testIdentitySettings(op, { scopes: ['openid', 'email'] }));
    expect(new URL(pending.url).searchParams.has('prompt')).toBe(false);
  });

  it('signs alice in: the callback page says the tab may close, tokens carry her groups, the listener closes', async () => {
    const op = await provider();
    const pending = await start(testIdentitySettings(op));
    const page = await signInAt(pending.url);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in as Alice Example. You may close this tab.');
    const tokens = await pending.result;
    expect(tokens.claims).toEqual({
      issuer: op.issuer,
      subject: 'alice',
      email: 'alice@example.test',
      name: 'Alice Example',
      groups: ['engineering', 'auditors'],
    });
    expect(tokens.refresh_token).toBeTruthy();
    expect(op.tokenRequests).toEqual(['authorization_code']);
    // Only the first callback counts: the listener is gone.
    const redirect = new URL(pending.url).searchParams.get('redirect_uri') ?? '';
    await expect(fetch(`${redirect}?code=x&state=y`)).rejects.toThrow(/fetch failed/);
  });

  it('a callback with the wrong state is refused and the sign-in goes on', async () => {
    const op = await provider();
    const pending = await start(testIdentitySettings(op));
    const redirect = new URL(pending.url).searchParams.get('redirect_uri') ?? '';
    const forged = await fetch(`${redirect}?code=stolen&state=not-this-one`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('the state does not match');
    const page = await signInAt(pending.url, 'bob');
    expect(page.text).toContain('Signed in as Bob Example');
    expect((await pending.result).claims.subject).toBe('bob');
    expect(op.tokenRequests).toEqual(['authorization_code']);
  });

  it("the provider's error comes back as a refusal, on the page and in the result", async () => {
    const op = await provider();
    const pending = await start(testIdentitySettings(op));
    const browser = formBrowser();
    const login = await browser.get(pending.url);
    const abort = /<a href="([^"]+)">\[ Cancel \]<\/a>/.exec(login.text)?.[1];
    expect(abort).toBeTruthy();
    const page = await browser.get(new URL(abort ?? '', login.url).href);
    expect(page.status).toBe(400);
    expect(page.text).toContain('access_denied: End-User aborted interaction');
    const error = await failure(pending.result);
    expect(error.code).toBe('refused');
    expect(error.message).toContain(`The sign-in was denied at ${op.issuer} (access_denied`);
    expect(op.tokenRequests).toEqual([]);
  });

  it('times out with a message saying what to do', async () => {
    const op = await provider();
    const pending = await start(testIdentitySettings(op), 300);
    const error = await failure(pending.result);
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('did not come back');
    expect(error.message).toContain('Run `glassbox login` again');
  });

  it('cancel ends it as cancelled', async () => {
    const op = await provider();
    const pending = await start(testIdentitySettings(op));
    pending.cancel();
    expect((await failure(pending.result)).code).toBe('cancelled');
  });

  it('claims the ID token leaves out come from the userinfo endpoint', async () => {
    const op = await provider({ idTokenClaims: false });
    const pending = await start(testIdentitySettings(op));
    await signInAt(pending.url);
    const tokens = await pending.result;
    expect(tokens.claims.email).toBe('alice@example.test');
    expect(tokens.claims.name).toBe('Alice Example');
    expect(tokens.claims.groups).toEqual(['engineering', 'auditors']);
  });
});
