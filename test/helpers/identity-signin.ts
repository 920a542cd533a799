/**
 * Signs a Glassbox home in at the test OIDC provider the way `glassbox login --device` ends: the device grant
 * (RFC 8628) through openid-client, the verification pages completed by a second client, the tokens written
 * to the home's token store and identity.json. For tests whose subject is not the login command itself.
 */
import * as client from 'openid-client';
import { discover } from '../../proxy/identity/discovery.js';
import { audienceParameters } from '../../proxy/identity/grant-result.js';
import { signedInState, writeSignInState } from '../../proxy/identity/sign-in-state.js';
import { tokenSetFromResponse } from '../../proxy/identity/token-set.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import type { IdentitySettings, TokenSet } from '../../proxy/identity/types.js';
import { completeDeviceSignIn } from './oidc-browser.js';
import { TEST_CLIENT_ID, type TestOidcProvider } from './oidc-provider.js';

/** The `identity` settings for a test provider (as config.json would hold them after defaults). */
export function testIdentitySettings(
  provider: TestOidcProvider,
  extra: Partial<IdentitySettings> = {},
): IdentitySettings {
  return {
    issuer: provider.issuer,
    clientId: TEST_CLIENT_ID,
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    groupsClaim: 'groups',
    required: false,
    ...extra,
  };
}

/**
 * Signs `home` in as `login` (an account of test/helpers/oidc-provider.ts) and returns the stored tokens;
 * `settings` as the engine's config.json says them (with `audience` for a team server's JWT access token).
 * @throws when the provider refuses
 */
export async function signInForTest(
  provider: TestOidcProvider,
  home: string,
  login = 'alice',
  env: NodeJS.ProcessEnv = process.env,
  settings: IdentitySettings = testIdentitySettings(provider),
): Promise<TokenSet> {
  const config = await discover(settings);
  // With an audience (a team server's), the access token is a JWT for it (RFC 8707 `resource`).
  const parameters = audienceParameters(settings);
  const authorization = await client.initiateDeviceAuthorization(config, parameters);
  const polling = client.pollDeviceAuthorizationGrant(
    config,
    authorization,
    parameters.resource ? { resource: parameters.resource } : undefined,
  );
  await completeDeviceSignIn(authorization.verification_uri, authorization.user_code, login);
  const tokens = tokenSetFromResponse(await polling, settings);
  const store = openTokenStore(home, { env });
  store.write(tokens);
  writeSignInState(home, signedInState(tokens, store));
  return tokens;
}
