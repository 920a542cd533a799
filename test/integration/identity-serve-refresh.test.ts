/**
 * Issue 18, "Refresh" and "Expiry never stops recording", against a running engine: the access token expires
 * while the engine runs and is refreshed (sessions stay verified); then the grant is revoked at the provider,
 * the next refresh is refused, and sessions are recorded with identity_status "expired" while `glassbox
 * whoami` says to sign in again.
 */
import Anthropic from '@anthropic-ai/sdk';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionsResponse } from '../../proxy/api/types.js';
import { discover } from '../../proxy/identity/discovery.js';
import { readSignInState } from '../../proxy/identity/sign-in-state.js';
import { storeForState } from '../../proxy/identity/token-store.js';
import type { IdentityResponse } from '../../proxy/identity/types.js';
import { runCliAsync } from '../helpers/cli.js';
import { type IdentitySetup, startIdentitySetup } from '../helpers/identity-engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';

/** Polls `check` (async) every 50 ms until it gives a value; throws after `timeoutMs`. */
async function until<T>(check: () => Promise<T | null>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const API_KEY = 'sk-ant-api03-refreshTestKey0123456789abcdefghijklmnopqrstuvwxyz-TEST';

describe('sign-in refresh and expiry while the engine runs', () => {
  let setup: IdentitySetup;
  let claude: Anthropic;

  beforeAll(async () => {
    // Access and ID tokens live 6 s, so the engine must refresh within the test.
    setup = await startIdentitySetup({ provider: { ttl: { AccessToken: 6, IdToken: 6 } } });
    claude = new Anthropic({
      baseURL: setup.test.engine.addresses.anthropicUrl,
      apiKey: API_KEY,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await setup?.cleanup();
  });

  const ask = (session: string) =>
    claude.messages.create(
      { model: 'claude-sonnet-4-5-20250929', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-claude-code-session-id': session } },
    );
  const session = async (external: string) => {
    const { body } = await setup.call<SessionsResponse>('GET', '/api/sessions?limit=50');
    const found = body.sessions.find((s) => s.external_id === external);
    if (!found) throw new Error(`no session ${external}`);
    return found;
  };

  it('refreshes an access token that expires during serve, and sessions stay verified', async () => {
    const tokens = await signInForTest(setup.provider, setup.home, 'alice');
    const first = await setup.untilStatus('signed-in');
    expect(first.state.expires_at).toBe(tokens.expires_at);

    // The engine refreshes before expiry: identity.json (and the API) move to a later expiry.
    const refreshed = await until(
      async () => {
        const { body } = await setup.call<IdentityResponse>('GET', '/api/identity');
        return body.state.status === 'signed-in' && (body.state.expires_at ?? 0) > tokens.expires_at
          ? body
          : null;
      },
      30_000,
      'a refreshed access token',
    );
    expect(setup.provider.tokenRequests).toContain('refresh_token');
    // Past the first access token's life, a new session is still verified.
    await until(
      async () => (Date.now() > tokens.expires_at ? true : null),
      15_000,
      'the first token to expire',
    );
    await ask('after-refresh');
    const { identity } = await session('after-refresh');
    expect(identity).toMatchObject({ verified: true, subject: 'alice', identity_status: 'verified' });
    // Verified by a refreshed ID token (another refresh may have come since: tokens live 6 s).
    expect(refreshed.state.token_fingerprint).not.toBe(tokens.token_fingerprint);
    expect(identity.token_fingerprint).toMatch(/^sha256:/);
    expect(identity.token_fingerprint).not.toBe(tokens.token_fingerprint);
  });

  it('records sessions as expired after the provider refuses the grant, and whoami says to sign in again', async () => {
    const state = readSignInState(setup.home);
    const stored = storeForState(setup.home, state, process.env)?.read();
    expect(stored?.refresh_token).toBeTruthy();
    const config = await discover(testIdentitySettings(setup.provider));
    await client.tokenRevocation(config, stored?.refresh_token ?? '', { token_type_hint: 'refresh_token' });

    const expired = await until(
      async () => {
        const { body } = await setup.call<IdentityResponse>('GET', '/api/identity');
        return body.state.status === 'expired' ? body : null;
      },
      30_000,
      'the refused refresh',
    );
    expect(expired.state.reason).toMatch(/invalid_grant|refused/);
    expect(expired.hint).toBe('glassbox login');

    const reply = await ask('after-expiry');
    expect(reply.content.length).toBeGreaterThan(0);
    const recorded = await session('after-expiry');
    expect(recorded.identity).toMatchObject({ verified: false, identity_status: 'expired' });
    expect(recorded.stats.turns).toBe(1);

    const whoami = await runCliAsync(setup.home, ['whoami']);
    expect(whoami.code).toBe(1);
    expect(`${whoami.stdout}${whoami.stderr}`).toContain('glassbox login');
  });
});
