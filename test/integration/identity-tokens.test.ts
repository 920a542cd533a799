import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homePaths } from '../../proxy/config.js';
import { IdentityComponent } from '../../proxy/identity/component.js';
import { discover } from '../../proxy/identity/discovery.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import type { TokenSet, TokenStoreKind } from '../../proxy/identity/types.js';
import { waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';

let provider: TestOidcProvider;
beforeAll(async () => {
  provider = await startOidcProvider({ ttl: { AccessToken: 6, IdToken: 6 } });
});
afterAll(async () => {
  await provider.close();
});

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) =>
    statSync(join(dir, path)).isFile(),
  );
}

function secretsOf(tokens: TokenSet | null): string[] {
  if (!tokens) return [];
  return [tokens.access_token, tokens.refresh_token, tokens.id_token].filter((t): t is string => t !== null);
}

describe('tokens stay in the token store', () => {
  it.each<[TokenStoreKind, NodeJS.ProcessEnv]>([
    ['file', { GLASSBOX_TOKEN_STORE: 'file' }],
    ['sealed-file', { GLASSBOX_VAULT_KEY: randomBytes(32).toString('hex') }],
  ])(
    'after sign-in, a refresh and a refused refresh, only the %s store holds a token (0600)',
    async (kind, env) => {
      const home = tempHome('glassbox-tokens-');
      const warnings: string[] = [];
      let component: IdentityComponent | undefined;
      try {
        const settings = testIdentitySettings(provider);
        const secrets = new Set<string>();
        const signedIn = await signInForTest(provider, home, 'alice', env);
        for (const secret of secretsOf(signedIn)) secrets.add(secret);
        const store = openTokenStore(home, { env, kind });
        expect(store.kind).toBe(kind);

        component = new IdentityComponent({ home, settings, env, warn: (m) => warnings.push(m) });
        await component.start();
        await waitFor(() => (component!.state().expires_at ?? 0) > signedIn.expires_at, 30_000, 'a refresh');
        const refreshed = store.read()!;
        expect(refreshed.refresh_token).not.toBe(signedIn.refresh_token);
        for (const secret of secretsOf(refreshed)) secrets.add(secret);

        const config = await discover(settings);
        await client.tokenRevocation(config, refreshed.refresh_token!, { token_type_hint: 'refresh_token' });
        await waitFor(() => component!.state().status === 'expired', 30_000, 'a refused refresh');
        await component.stop();
        component = undefined;
        for (const secret of secretsOf(store.read())) secrets.add(secret);
        expect(secrets.size).toBeGreaterThanOrEqual(5);

        const storeFile = kind === 'file' ? homePaths(home).tokens : `${homePaths(home).tokens}.sealed`;
        expect(statSync(storeFile).mode & 0o777).toBe(0o600);
        const holding: string[] = [];
        for (const path of filesUnder(home)) {
          const content = readFileSync(join(home, path));
          for (const secret of secrets) {
            if (content.includes(secret)) holding.push(relative(home, join(home, path)));
          }
        }
        const expected = kind === 'file' ? [relative(home, storeFile)] : [];
        expect([...new Set(holding)]).toEqual(expected);
        if (kind === 'file') {
          // The grep is not vacuous: the plain store holds the latest access token.
          expect(readFileSync(storeFile, 'utf8')).toContain(refreshed.access_token);
        }
        expect(filesUnder(home).sort()).toEqual(['identity.json', relative(home, storeFile)].sort());
        for (const warning of warnings) for (const secret of secrets) expect(warning).not.toContain(secret);
        expect(warnings.join('\n')).toMatch(/invalid_grant/);
      } finally {
        await component?.stop();
        rmSync(home, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
