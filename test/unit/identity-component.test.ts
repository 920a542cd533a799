import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdentityComponent, SIGN_IN_REQUIRED } from '../../proxy/identity/component.js';
import { refreshDueAt } from '../../proxy/identity/refresh.js';
import { writeSignInState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import type { IdentitySettings, SignInState } from '../../proxy/identity/types.js';
import { waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';

const homes: string[] = [];
const components: IdentityComponent[] = [];
afterEach(async () => {
  for (const component of components.splice(0)) await component.stop();
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

/** config.json's identity section naming the issuer of {@link signedIn}'s claims. */
const SETTINGS: IdentitySettings = {
  issuer: 'http://127.0.0.1:9',
  clientId: 'glassbox-cli',
  scopes: ['openid'],
  groupsClaim: 'groups',
  required: false,
};

async function component(state: SignInState, settings: IdentitySettings | null = SETTINGS) {
  const home = tempHome('glassbox-identity-');
  homes.push(home);
  writeSignInState(home, state);
  const warnings: string[] = [];
  const source = new IdentityComponent({
    home,
    settings: settings ?? undefined,
    warn: (m) => warnings.push(m),
    env: {},
  });
  components.push(source);
  await source.start();
  return { home, source, warnings };
}

describe('identity component: what a new session gets', () => {
  it('is verified while the access token lasts', async () => {
    const { source } = await component(signedIn(Date.now() + 60_000));
    expect(source.current()).toMatchObject({
      verified: true,
      identity_status: 'verified',
      subject: 'alice',
      token_fingerprint: 'sha256:0123456789abcdef',
    });
  });

  it('verifies nobody when config.json no longer configures sign-in or names another issuer', async () => {
    const unconfigured = await component(signedIn(Date.now() + 60_000), null);
    expect(unconfigured.source.current()).toMatchObject({ verified: false, identity_status: 'signed-out' });
    const elsewhere = await component(signedIn(Date.now() + 60_000), {
      ...SETTINGS,
      issuer: 'https://login.example.com',
    });
    expect(elsewhere.source.current()).toMatchObject({ verified: false, identity_status: 'signed-out' });
    const slash = await component(signedIn(Date.now() + 60_000), {
      ...SETTINGS,
      issuer: 'http://127.0.0.1:9/',
    });
    expect(slash.source.current().verified).toBe(true);
  });

  it('is not verified once the access token has expired without a refresh, though the file still says signed-in', async () => {
    const required: IdentitySettings = {
      issuer: 'http://127.0.0.1:9',
      clientId: 'glassbox-cli',
      scopes: ['openid'],
      groupsClaim: 'groups',
      required: true,
    };
    const { home, source } = await component(signedIn(Date.now() - 1_000));
    expect(source.state().status).toBe('signed-in');
    expect(source.current()).toMatchObject({ verified: false, identity_status: 'expired', subject: null });
    const strict = new IdentityComponent({ home, settings: required, warn: () => undefined, env: {} });
    expect(strict.refusal()).toBe(SIGN_IN_REQUIRED);
  });

  it('follows identity.json: a sign-in written by another process applies to the next session', async () => {
    const { home, source } = await component({ ...signedIn(0), status: 'signed-out', claims: null });
    expect(source.current().identity_status).toBe('signed-out');
    const seen: string[] = [];
    source.subscribe((state) => seen.push(state.status));
    writeSignInState(home, signedIn(Date.now() + 60_000));
    await waitFor(() => source.current().verified, 10_000, 'the new sign-in');
    expect(seen).toEqual(['signed-in']);
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
    expect(warnings[0]).toMatch(/retrying$/);
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
