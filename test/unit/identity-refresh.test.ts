import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { homePaths } from '../../proxy/config.js';
import { refreshSignIn } from '../../proxy/identity/refresh.js';
import { readSignInState, signedInState, writeSignInState } from '../../proxy/identity/sign-in-state.js';
import { openTokenStore } from '../../proxy/identity/token-store.js';
import type { IdentitySettings, TokenSet } from '../../proxy/identity/types.js';
import { tempHome } from '../helpers/engine.js';

// Nothing here reaches a provider: port 9 is one fetch refuses outright, so a request would fail loudly.
const settings: IdentitySettings = {
  issuer: 'http://127.0.0.1:9',
  clientId: 'glassbox-cli',
  scopes: ['openid'],
  groupsClaim: 'groups',
  required: false,
};
const fileEnv: NodeJS.ProcessEnv = { GLASSBOX_TOKEN_STORE: 'file' };

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** A home signed in with `tokens` (defaults: valid 5 min, with a refresh token) in `env`'s store. */
function signedInHome(overrides: Partial<TokenSet> = {}, env = fileEnv): { home: string; tokens: TokenSet } {
  const home = tempHome('glassbox-refresh-unit-');
  homes.push(home);
  const now = Date.now();
  const tokens: TokenSet = {
    issuer: settings.issuer,
    client_id: settings.clientId,
    access_token: 'access',
    refresh_token: 'refresh',
    id_token: 'id',
    expires_at: now + 300_000,
    obtained_at: now,
    claims: { issuer: settings.issuer, subject: 'alice', email: null, name: null, groups: [] },
    token_fingerprint: 'sha256:0123456789abcdef',
    ...overrides,
  };
  const store = openTokenStore(home, { env });
  store.write(tokens);
  writeSignInState(home, signedInState(tokens, store));
  return { home, tokens };
}

describe('refreshSignIn outcomes that need no provider', () => {
  it('signed out: nothing to do', async () => {
    const home = tempHome('glassbox-refresh-unit-');
    homes.push(home);
    await expect(refreshSignIn({ home, settings, env: fileEnv })).resolves.toMatchObject({
      result: 'signed-out',
    });
  });

  it('not due yet: says when, without asking the provider', async () => {
    const { home, tokens } = signedInHome();
    const outcome = await refreshSignIn({ home, settings, env: fileEnv });
    expect(outcome).toMatchObject({ result: 'not-due', state: { status: 'signed-in' } });
    expect(outcome.nextAt).toBe(tokens.expires_at - 60_000);
  });

  it('tokens sealed by the desktop app, refreshed from a terminal without its key: failed, saying so', async () => {
    const { home } = signedInHome({}, { GLASSBOX_VAULT_KEY: randomBytes(32).toString('hex') });
    const outcome = await refreshSignIn({ home, settings, env: {}, force: true });
    expect(outcome.result).toBe('failed');
    expect(outcome.reason).toMatch(/signed in through the desktop app/);
    expect(readSignInState(home).status).toBe('signed-in');
  });

  it('a damaged token file: failed, saying to sign in again, never a throw', async () => {
    const { home } = signedInHome();
    writeFileSync(homePaths(home).tokens, '{"access_token":', { mode: 0o600 });
    const outcome = await refreshSignIn({ home, settings, env: fileEnv, force: true });
    expect(outcome.result).toBe('failed');
    expect(outcome.reason).toMatch(/damaged.*glassbox login/);
  });

  it('no refresh token and the access token expired: expired, once (a second call changes nothing)', async () => {
    const { home } = signedInHome({ refresh_token: null, expires_at: Date.now() - 1_000 });
    const outcome = await refreshSignIn({ home, settings, env: fileEnv });
    expect(outcome).toMatchObject({ result: 'refused', state: { status: 'expired' } });
    expect(outcome.reason).toMatch(/issued no refresh token.*offline_access/);
    const written = readSignInState(home);
    expect(written.claims?.subject).toBe('alice');
    await refreshSignIn({ home, settings, env: fileEnv });
    expect(readSignInState(home)).toEqual(written);
  });

  it('signed in at another issuer than config.json names: expired, naming both', async () => {
    const { home } = signedInHome({ issuer: 'https://old-idp.example.test' });
    const outcome = await refreshSignIn({ home, settings, env: fileEnv, force: true });
    expect(outcome).toMatchObject({ result: 'refused', state: { status: 'expired' } });
    expect(outcome.reason).toMatch(
      /signed in at https:\/\/old-idp\.example\.test .* now names http:\/\/127\.0\.0\.1:9/,
    );
  });
});
