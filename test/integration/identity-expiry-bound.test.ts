import { rmSync } from 'node:fs';
import * as client from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityComponent } from '../../proxy/identity/component.js';
import { discover } from '../../proxy/identity/discovery.js';
import { readSignInState, writeSignInState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import type { SignInState } from '../../proxy/identity/types.js';
import { tempHome } from '../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';

/**
 * How long a sign-in verifies sessions: no longer than the signed ID token says, unless this engine's own
 * refresh proved the grant alive. ID tokens live 3 s here and access tokens 8 s (refreshed half-way, at 4 s),
 * as with providers whose ID tokens are shorter-lived than their access tokens.
 */
const env: NodeJS.ProcessEnv = { GLASSBOX_TOKEN_STORE: 'file' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Polls `check` every 50 ms until it holds; throws after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function signedInEngine(): Promise<{
  provider: TestOidcProvider;
  home: string;
  component: IdentityComponent;
}> {
  const provider = await startOidcProvider({ ttl: { AccessToken: 8, IdToken: 3 } });
  cleanups.push(() => provider.close());
  const home = tempHome('glassbox-expiry-bound-');
  cleanups.push(async () => rmSync(home, { recursive: true, force: true }));
  await signInForTest(provider, home, 'alice', env);
  const component = new IdentityComponent({
    home,
    settings: testIdentitySettings(provider),
    env,
    warn: () => undefined,
  });
  await component.start();
  cleanups.push(() => component.stop());
  await until(() => component.current().verified, 10_000, 'the sign-in to verify');
  return { provider, home, component };
}

describe('a sign-in verifies for as long as the provider vouches for it', () => {
  it('renews the ID token before it lapses, so an honest sign-in stays verified past its first ID token', async () => {
    const { provider, component } = await signedInEngine();
    const firstIdTokenLapses = Date.now() + 3_500;
    await until(() => Date.now() > firstIdTokenLapses, 10_000, 'the first ID token to lapse');
    expect(provider.tokenRequests).toContain('refresh_token');
    expect(component.current()).toMatchObject({
      verified: true,
      subject: 'alice',
      identity_status: 'verified',
    });
  });

  it('verifies nobody past the last ID token when identity.json is edited back to signed-in after a refused refresh', async () => {
    const { provider, home, component } = await signedInEngine();
    // The grant is revoked at the provider; the engine's next refresh is refused and the state turns expired.
    const tokens = openTokenStore(home, { env }).read();
    const config = await discover(testIdentitySettings(provider));
    await client.tokenRevocation(config, tokens?.refresh_token ?? '', { token_type_hint: 'refresh_token' });
    await until(() => component.state().status === 'expired', 20_000, 'the refused refresh');

    // Someone with the account writes "signed in for another hour" back.
    const forged: SignInState = {
      ...readSignInState(home),
      status: 'signed-in',
      reason: null,
      expires_at: Date.now() + 3_600_000,
      changed_at: Date.now(),
    };
    writeSignInState(home, forged);
    const lastIdTokenLapses = Date.now() + 3_500;
    await until(() => Date.now() > lastIdTokenLapses, 10_000, 'the last ID token to lapse');
    expect(component.current()).toMatchObject({ verified: false });
    expect(component.refusal()).toBeNull(); // not required here; the mark is what matters
  });
});
