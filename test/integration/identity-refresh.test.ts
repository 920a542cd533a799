import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as client from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityComponent, SIGN_IN_REQUIRED } from '../../proxy/identity/component.js';
import { discover } from '../../proxy/identity/discovery.js';
import { readSignInState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import type { SignInState } from '../../proxy/identity/types.js';
import { waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';

const env: NodeJS.ProcessEnv = { GLASSBOX_TOKEN_STORE: 'file' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A provider whose tokens live `ttl` seconds, a home signed in as alice, and a started component. */
async function signedInComponent(ttl: number, retry = { firstMs: 200, maxMs: 1_000 }, required = false) {
  const provider = await startOidcProvider({ ttl: { AccessToken: ttl, IdToken: ttl } });
  let closed = false;
  const closeProvider = async () => {
    if (!closed) await provider.close();
    closed = true;
  };
  cleanups.push(closeProvider);
  const home = tempHome('glassbox-refresh-');
  cleanups.push(async () => rmSync(home, { recursive: true, force: true }));
  const settings = testIdentitySettings(provider, { required });
  const signedIn = await signInForTest(provider, home, 'alice', env);
  const warnings: string[] = [];
  const component = new IdentityComponent({ home, settings, env, retry, warn: (m) => warnings.push(m) });
  const states: SignInState[] = [];
  component.subscribe((state) => states.push(state));
  await component.start();
  cleanups.push(() => component.stop());
  return { provider, closeProvider, home, settings, signedIn, component, states, warnings };
}

const refreshes = (provider: TestOidcProvider) =>
  provider.tokenRequests.filter((grant) => grant === 'refresh_token').length;

describe('the engine keeps the sign-in fresh', () => {
  it('refreshes before the access token expires, so every new session stays verified', async () => {
    const { provider, home, signedIn, component, states } = await signedInComponent(6);
    const seen: boolean[] = [];
    const sampling = setInterval(() => seen.push(component.current().verified), 100);
    try {
      // Two refreshes, each taken by the engine once its new ID token is checked (verify-sign-in.ts).
      await waitFor(() => refreshes(provider) >= 2 && states.length >= 2, 40_000, 'two refreshes');
      // Past the first token's expiry, and sessions never lost their verified identity.
      await waitFor(() => Date.now() > signedIn.expires_at + 500, 10_000, 'the first token to expire');
    } finally {
      clearInterval(sampling);
    }
    expect(seen.length).toBeGreaterThan(20);
    expect(seen.every(Boolean)).toBe(true);
    expect(component.current()).toMatchObject({
      verified: true,
      identity_status: 'verified',
      subject: 'alice',
      groups: ['engineering', 'auditors'],
    });
    const state = readSignInState(home);
    expect(state.status).toBe('signed-in');
    expect(state.expires_at).toBeGreaterThan(signedIn.expires_at);
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(states.every((s) => s.status === 'signed-in')).toBe(true);
    const stored = openTokenStore(home, { env, kind: 'file' }).read()!;
    expect(stored.refresh_token).not.toBe(signedIn.refresh_token);
  }, 90_000);

  it('marks the sign-in expired when the provider refuses the refresh token (revoked grant), and stops asking', async () => {
    const { provider, home, settings, signedIn, component, states, warnings } = await signedInComponent(
      6,
      undefined,
      true,
    );
    const config = await discover(settings);
    await client.tokenRevocation(config, signedIn.refresh_token!, { token_type_hint: 'refresh_token' });

    await waitFor(() => component.state().status === 'expired', 30_000, 'the state to turn expired');
    const state = component.state();
    expect(state.reason).toMatch(/refused the refresh token \(invalid_grant.*\); run `glassbox login`/);
    expect(state.claims).toMatchObject({ subject: 'alice', email: 'alice@example.test' });
    expect(readSignInState(home)).toEqual(state);
    expect(states.map((s) => s.status)).toEqual(['expired']);
    expect(component.current()).toMatchObject({ verified: false, identity_status: 'expired', subject: null });
    expect(component.refusal()).toBe(SIGN_IN_REQUIRED);
    expect(warnings.some((w) => /invalid_grant/.test(w))).toBe(true);
    // The dead refresh token is gone from the store, and nobody presents it again.
    expect(openTokenStore(home, { env, kind: 'file' }).read()?.refresh_token).toBeNull();
    const asked = refreshes(provider);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(refreshes(provider)).toBe(asked);
  }, 60_000);

  it('turns expired when the provider is unreachable past the token’s life, and signed-in again when it is back', async () => {
    const { provider, closeProvider, component, states, warnings } = await signedInComponent(4);
    const port = Number(new URL(provider.issuer).port);
    await closeProvider();

    await waitFor(() => component.state().status === 'expired', 30_000, 'the state to turn expired');
    expect(component.state().reason).toMatch(
      /cannot reach the identity provider at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) and the access token has expired/,
    );
    expect(component.current()).toMatchObject({ verified: false, identity_status: 'expired' });
    expect(warnings.some((w) => /ECONNREFUSED.*retrying/.test(w))).toBe(true);

    // The same provider (its grants are in memory) answers again on the same port.
    const server: Server = createServer(provider.provider.callback());
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    });
    await waitFor(() => component.state().status === 'signed-in', 30_000, 'the sign-in to recover');
    expect(component.current()).toMatchObject({
      verified: true,
      identity_status: 'verified',
      subject: 'alice',
    });
    const statuses = states.map((s) => s.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(statuses).toEqual(['expired', 'signed-in']);
  }, 90_000);
});
