import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../../proxy/identity/discovery.js';
import { readSignInState } from '../../proxy/identity/sign-in-state.js';
import { signOut } from '../../proxy/identity/sign-in-store.js';
import { tokenFiles } from '../../proxy/identity/token-store.js';
import { tempHome } from '../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';

let provider: TestOidcProvider;
const homes: string[] = [];
beforeAll(async () => {
  provider = await startOidcProvider();
});
afterAll(async () => {
  await provider.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});
function newHome(): string {
  const home = tempHome('glassbox-signout-');
  homes.push(home);
  return home;
}

describe('signing out', () => {
  it('revokes the refresh token at the provider, forgets the tokens and writes signed-out', async () => {
    const home = newHome();
    const env: NodeJS.ProcessEnv = { GLASSBOX_TOKEN_STORE: 'file' };
    const settings = testIdentitySettings(provider);
    const tokens = await signInForTest(provider, home, 'alice', env);
    expect(existsSync(tokenFiles(home).file)).toBe(true);

    await expect(signOut(home, env)).resolves.toMatchObject({ revocation: 'revoked', detail: null });
    expect(existsSync(tokenFiles(home).file)).toBe(false);
    expect(readSignInState(home)).toMatchObject({ status: 'signed-out', claims: null, store: null });
    const config = await discover(settings);
    const refused = await client.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(client.ResponseBodyError);
    expect((refused as client.ResponseBodyError).error).toBe('invalid_grant');
  });

  it("from a terminal without the desktop app's key: removes the sealed tokens unread and says why nothing was revoked", async () => {
    const home = newHome();
    const desktop: NodeJS.ProcessEnv = { GLASSBOX_VAULT_KEY: randomBytes(32).toString('hex') };
    await signInForTest(provider, home, 'alice', desktop);
    expect(existsSync(tokenFiles(home)['sealed-file'])).toBe(true);

    const result = await signOut(home, {});
    expect(result.revocation).toBe('failed');
    expect(result.detail).toMatch(/signed in through the desktop app/);
    expect(existsSync(tokenFiles(home)['sealed-file'])).toBe(false);
    expect(readSignInState(home).status).toBe('signed-out');
  });
});
