import { rmSync } from 'node:fs';
import { generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityComponent } from '../../proxy/identity/component.js';
import { tokenFingerprint } from '../../proxy/identity/fingerprint.js';
import { readSignInState, writeSignInState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import type { TokenSet, VerifiedClaims } from '../../proxy/identity/types.js';
import { waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';
import { startOidcProvider, TEST_CLIENT_ID, type TestOidcProvider } from '../helpers/oidc-provider.js';

/**
 * Anyone with the account can write identity.json and the 0600 token file: a session's `verified` mark must
 * come from an ID token the configured issuer signed for Glassbox's client, never from what those files say.
 */
const env: NodeJS.ProcessEnv = { GLASSBOX_TOKEN_STORE: 'file' };
const BOB: VerifiedClaims = {
  issuer: '',
  subject: 'bob',
  email: 'bob@example.test',
  name: 'Bob Example',
  groups: ['db-approvers', 'admins'],
};
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function aliceHome(): Promise<{ provider: TestOidcProvider; home: string; tokens: TokenSet }> {
  const provider = await startOidcProvider({ ttl: { AccessToken: 300, IdToken: 300 } });
  cleanups.push(() => provider.close());
  const home = tempHome('glassbox-forgery-');
  cleanups.push(async () => rmSync(home, { recursive: true, force: true }));
  const tokens = await signInForTest(provider, home, 'alice', env);
  return { provider, home, tokens };
}

async function startedComponent(provider: TestOidcProvider, home: string) {
  const warnings: string[] = [];
  const component = new IdentityComponent({
    home,
    settings: testIdentitySettings(provider),
    env,
    warn: (m) => warnings.push(m),
  });
  await component.start();
  cleanups.push(() => component.stop());
  return { component, warnings };
}

describe('a verified identity cannot be forged by editing files under $GLASSBOX_HOME', () => {
  it('takes the person from the signed ID token, not from an edited identity.json', async () => {
    const { provider, home } = await aliceHome();
    const state = readSignInState(home);
    writeSignInState(home, { ...state, claims: { ...BOB, issuer: provider.issuer } });
    const { component } = await startedComponent(provider, home);
    expect(component.current()).toMatchObject({
      verified: true,
      subject: 'alice',
      email: 'alice@example.test',
      groups: ['engineering', 'auditors'],
    });
  });

  it('takes the person from the signed ID token, not from edited claims in the token store', async () => {
    const { provider, home, tokens } = await aliceHome();
    const forged = { ...BOB, issuer: provider.issuer };
    openTokenStore(home, { env }).write({ ...tokens, claims: forged });
    writeSignInState(home, { ...readSignInState(home), claims: forged });
    const { component } = await startedComponent(provider, home);
    expect(component.current()).toMatchObject({ verified: true, subject: 'alice' });
    expect(component.current().groups).not.toContain('admins');
  });

  it('verifies nobody for an ID token the provider did not sign, and says why on stderr', async () => {
    const { provider, home, tokens } = await aliceHome();
    const { privateKey } = await generateKeyPair('RS256');
    const idToken = await new SignJWT({ email: BOB.email, name: BOB.name, groups: BOB.groups })
      .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
      .setIssuer(provider.issuer)
      .setSubject('bob')
      .setAudience(TEST_CLIENT_ID)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const forged: TokenSet = {
      ...tokens,
      id_token: idToken,
      claims: { ...BOB, issuer: provider.issuer },
      token_fingerprint: tokenFingerprint(idToken),
    };
    openTokenStore(home, { env }).write(forged);
    writeSignInState(home, {
      ...readSignInState(home),
      claims: forged.claims,
      token_fingerprint: forged.token_fingerprint,
    });
    const { component, warnings } = await startedComponent(provider, home);
    expect(component.current()).toMatchObject({ verified: false, subject: null });
    expect(warnings.join('\n')).toMatch(/does not verify/);
  });

  it('verifies nobody when identity.json says signed in but the token store holds nothing', async () => {
    const { provider, home } = await aliceHome();
    const state = readSignInState(home);
    openTokenStore(home, { env }).clear();
    writeSignInState(home, { ...state, claims: { ...BOB, issuer: provider.issuer } });
    const { component } = await startedComponent(provider, home);
    expect(component.current()).toMatchObject({ verified: false, subject: null });
  });
});

describe('the check of a stored sign-in while the provider has trouble', () => {
  it('retries when the provider cannot serve its keys, and verifies once it can', async () => {
    const { provider, home } = await aliceHome();
    let outage = true;
    provider.provider.use(async (ctx, next) => {
      if (outage && ctx.path === '/jwks') {
        ctx.status = 503;
        ctx.body = 'maintenance';
        return;
      }
      await next();
    });
    const warnings: string[] = [];
    const component = new IdentityComponent({
      home,
      settings: testIdentitySettings(provider),
      env,
      retry: { firstMs: 100, maxMs: 200 },
      warn: (m) => warnings.push(m),
    });
    await component.start();
    cleanups.push(() => component.stop());
    expect(component.current().verified).toBe(false);
    expect(warnings.join('\n')).not.toMatch(/does not verify/);
    outage = false;
    await waitFor(() => component.current().verified, 20_000, 'the check after the outage');
    expect(component.current()).toMatchObject({ subject: 'alice', verified: true });
  });
});
