import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdentityComponent, SIGN_IN_REQUIRED } from '../../proxy/identity/component.js';
import { refreshDueAt, refreshSignIn } from '../../proxy/identity/refresh.js';
import { readSignInState, writeSignInState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import type { IdentitySettings, SignInState } from '../../proxy/identity/types.js';
import { waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';

const FILE_ENV: NodeJS.ProcessEnv = { GLASSBOX_TOKEN_STORE: 'file' };
const homes: string[] = [];
const components: IdentityComponent[] = [];
const providers: TestOidcProvider[] = [];
afterEach(async () => {
  for (const component of components.splice(0)) await component.stop();
  for (const provider of providers.splice(0)) await provider.close();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function signedIn(expiresAt: number, changedAt = Date.now()): SignInState {
  return {
    status: 'signed-in',
    claims: {
      issuer: 'http://127.0.0.1:9',
      subject: 'alice',
      email: 'a@x.test',
      name: 'Alice',
      groups: ['g'],
    },
    expires_at: expiresAt,
    token_fingerprint: 'sha256:0123456789abcdef',
    store: { kind: 'file', where: 'tokens.json (0600)' },
    reason: null,
    changed_at: changedAt,
  };
}

describe('identity component: what a new session gets', () => {
  /** A real provider and a home signed in at it as alice (file store). */
  async function aliceAt(providerOptions = {}) {
    const provider = await startOidcProvider({ ttl: { AccessToken: 300, IdToken: 300 }, ...providerOptions });
    providers.push(provider);
    const home = tempHome('glassbox-identity-');
    homes.push(home);
    const tokens = await signInForTest(provider, home, 'alice', FILE_ENV);
    return { provider, home, tokens };
  }

  function started(home: string, settings: IdentitySettings | undefined) {
    const source = new IdentityComponent({ home, settings, warn: () => undefined, env: FILE_ENV });
    components.push(source);
    return source.start().then(() => source);
  }

  it('is verified while the access token lasts, as the ID token says', async () => {
    const { provider, home, tokens } = await aliceAt();
    const source = await started(home, testIdentitySettings(provider));
    expect(source.current()).toMatchObject({
      verified: true,
      identity_status: 'verified',
      subject: 'alice',
      token_fingerprint: tokens.token_fingerprint,
    });
  });

  it('takes email, name and groups from the userinfo endpoint when the ID token lacks them', async () => {
    const { provider, home } = await aliceAt({ idTokenClaims: false });
    const source = await started(home, testIdentitySettings(provider));
    expect(source.current()).toMatchObject({
      verified: true,
      email: 'alice@example.test',
      groups: ['engineering', 'auditors'],
    });
  });

  it('verifies nobody when config.json no longer configures sign-in or names another issuer', async () => {
    const { provider, home } = await aliceAt();
    const unconfigured = await started(home, undefined);
    expect(unconfigured.current()).toMatchObject({ verified: false, identity_status: 'signed-out' });
    const elsewhere = await started(home, {
      ...testIdentitySettings(provider),
      issuer: 'https://login.example.com',
    });
    expect(elsewhere.current()).toMatchObject({ verified: false, identity_status: 'signed-out' });
  });

  it('verifies and refreshes a sign-in when config.json writes the issuer with a trailing slash', async () => {
    const { provider, home } = await aliceAt();
    const settings = testIdentitySettings(provider, { issuer: `${provider.issuer}/` });
    const source = await started(home, settings);
    expect(source.current()).toMatchObject({ verified: true, subject: 'alice' });
    const outcome = await refreshSignIn({ home, settings, env: FILE_ENV, force: true });
    expect(outcome).toMatchObject({ result: 'refreshed', reason: null });
  });

  it('follows identity.json: a sign-in written by another process applies to the next session', async () => {
    const provider = await startOidcProvider({ ttl: { AccessToken: 300, IdToken: 300 } });
    providers.push(provider);
    const home = tempHome('glassbox-identity-');
    homes.push(home);
    const source = await started(home, testIdentitySettings(provider));
    expect(source.current().identity_status).toBe('signed-out');
    const seen: string[] = [];
    source.subscribe((state) => seen.push(state.status));
    await signInForTest(provider, home, 'alice', FILE_ENV);
    await waitFor(() => source.current().verified, 10_000, 'the new sign-in');
    expect(seen).toEqual(['signed-in']);
  });

  it('is not verified once the access token has expired without a refresh, though the file still says signed-in', async () => {
    const { provider, home } = await aliceAt();
    writeSignInState(home, { ...readSignInState(home), expires_at: Date.now() - 1_000 });
    const settings = testIdentitySettings(provider, { required: true });
    const source = await started(home, settings);
    expect(source.state().status).toBe('signed-in');
    expect(source.current()).toMatchObject({ verified: false, identity_status: 'expired', subject: null });
    const strict = new IdentityComponent({ home, settings, warn: () => undefined, env: FILE_ENV });
    expect(strict.refusal()).toBe(SIGN_IN_REQUIRED);
  });
});

describe('identity component: starting while the provider does not answer', () => {
  it('starts without waiting for the provider to answer the check of the stored sign-in', async () => {
    const provider = await startOidcProvider({ ttl: { AccessToken: 300, IdToken: 300 } });
    providers.push(provider);
    const home = tempHome('glassbox-identity-');
    homes.push(home);
    await signInForTest(provider, home, 'alice', FILE_ENV);
    // A provider that takes connections and never answers (a network that drops packets, a captive portal).
    const held: ServerResponse[] = [];
    const silent = createServer((_req, res) => held.push(res)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentIssuer = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const state = readSignInState(home);
    writeSignInState(home, { ...state, claims: { ...state.claims!, issuer: silentIssuer } });
    const warnings: string[] = [];
    const source = new IdentityComponent({
      home,
      settings: { ...testIdentitySettings(provider), issuer: silentIssuer },
      warn: (m) => warnings.push(m),
      env: FILE_ENV,
      startWaitMs: 50,
    });
    components.push(source);
    try {
      await source.start();
      // start() came back while the check was still waiting for the provider (a failed check warns).
      expect(held.length).toBe(1);
      expect(warnings).toEqual([]);
      expect(source.current().verified).toBe(false);
    } finally {
      for (const res of held) res.destroy();
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe('refresh timing', () => {
  it('is due max(30 s, 20% of the lifetime) before expiry, never before half-way', () => {
    const hour = 3_600_000;
    expect(refreshDueAt(hour, 0)).toBe(hour - 0.2 * hour);
    expect(refreshDueAt(300_000, 0)).toBe(300_000 - 60_000);
    expect(refreshDueAt(100_000, 0)).toBe(70_000);
    expect(refreshDueAt(6_000, 0)).toBe(3_000);
    expect(refreshDueAt(1_000, 2_000)).toBe(1_000);
  });

  it('retries while the provider does not answer and turns expired when the token runs out', async () => {
    // A port nothing listens on any more (fetch refuses well-known "bad ports" such as 1 or 9 outright).
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    const expiresAt = Date.now() + 1_500;
    const settings: IdentitySettings = {
      issuer: `http://127.0.0.1:${port}`,
      clientId: 'glassbox-cli',
      scopes: ['openid'],
      groupsClaim: 'groups',
      required: false,
    };
    const home = tempHome('glassbox-identity-');
    homes.push(home);
    const state = signedIn(expiresAt, expiresAt - 3_000);
    state.claims!.issuer = settings.issuer;
    writeSignInState(home, state);
    openTokenStore(home, { env: { GLASSBOX_TOKEN_STORE: 'file' } }).write({
      issuer: settings.issuer,
      client_id: settings.clientId,
      access_token: 'access',
      refresh_token: 'refresh',
      id_token: 'id',
      expires_at: expiresAt,
      obtained_at: expiresAt - 3_000,
      claims: state.claims!,
      token_fingerprint: state.token_fingerprint!,
    });
    const warnings: string[] = [];
    const source = new IdentityComponent({
      home,
      settings,
      env: {},
      retry: { firstMs: 100, maxMs: 400 },
      warn: (m) => warnings.push(m),
    });
    components.push(source);
    const seen: string[] = [];
    source.subscribe((s) => seen.push(s.status));
    await source.start();
    await waitFor(() => source.state().status === 'expired', 20_000, 'expired');
    expect(source.state().reason).toMatch(
      /cannot reach the identity provider at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
    expect(warnings.some((w) => /retrying$/.test(w))).toBe(true);
    // Retries go on (identity-refresh.test.ts sees them recover), but the state is written once and the
    // warning given once: one change for subscribers.
    const warned = warnings.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(seen).toEqual(['expired']);
    expect(warnings.length).toBe(warned);
  });

  it('looks at the wall clock again after a sleep: a refresh due during the night runs soon after wake-up', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    const settings: IdentitySettings = {
      issuer: `http://127.0.0.1:${port}`,
      clientId: 'glassbox-cli',
      scopes: ['openid'],
      groupsClaim: 'groups',
      required: false,
    };
    const home = tempHome('glassbox-identity-');
    homes.push(home);
    const now = Date.now();
    const state = signedIn(now + 3_600_000, now);
    state.claims!.issuer = settings.issuer;
    writeSignInState(home, state);
    openTokenStore(home, { env: { GLASSBOX_TOKEN_STORE: 'file' } }).write({
      issuer: settings.issuer,
      client_id: settings.clientId,
      access_token: 'access',
      refresh_token: 'refresh',
      id_token: 'id',
      expires_at: now + 3_600_000,
      obtained_at: now,
      claims: state.claims!,
      token_fingerprint: state.token_fingerprint!,
    });
    const source = new IdentityComponent({
      home,
      settings,
      env: {},
      wakeCheckMs: 200,
      warn: () => undefined,
    });
    components.push(source);
    await source.start();
    // The refresh is due in 48 minutes by the timer. The machine "sleeps" two hours: the wall clock jumps,
    // the timers' clock does not.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    try {
      vi.setSystemTime(now + 2 * 3_600_000);
      // The provider is gone, and the token expired during the night: the attempt marks it expired.
      await waitFor(() => source.state().status === 'expired', 20_000, 'a refresh attempt after wake-up');
    } finally {
      vi.useRealTimers();
    }
    expect(source.state().reason).toMatch(/ECONNREFUSED/);
  });
});
