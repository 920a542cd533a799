import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer } from '../../proxy/api/server.js';
import type { HealthResponse, IdentityResponse } from '../../proxy/api/types.js';
import { IdentityComponent } from '../../proxy/identity/component.js';
import { IdentityError } from '../../proxy/identity/errors.js';
import { signedOutState, writeSignInState } from '../../proxy/identity/sign-in-state.js';
import type { IdentityControl, IdentitySettings } from '../../proxy/identity/types.js';
import { Store } from '../../proxy/store/store.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../helpers/identity-signin.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';

const SETTINGS: IdentitySettings = {
  issuer: 'http://127.0.0.1:9/realms/test',
  clientId: 'glassbox',
  scopes: ['openid', 'email'],
  groupsClaim: 'groups',
  required: false,
};

describe('control API: /api/identity', () => {
  let mock: MockAnthropic;
  let configured: TestEngine;
  let plain: TestEngine;

  const call = async <T>(
    test: TestEngine,
    method: string,
    path: string,
    token = test.engine.addresses.token,
  ) => {
    const response = await fetch(`${test.engine.addresses.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    configured = await startTestEngine(mock.url, (config) => {
      config.identity = SETTINGS;
    });
    plain = await startTestEngine(mock.url);
  });
  afterAll(async () => {
    await configured?.cleanup();
    await plain?.cleanup();
    await mock?.stop();
  });

  it('says whether sign-in is configured and who is signed in, behind the token like every route', async () => {
    expect((await call(configured, 'GET', '/api/identity', 'wrong')).status).toBe(401);
    const read = await call<IdentityResponse>(configured, 'GET', '/api/identity');
    expect(read).toEqual({
      status: 200,
      body: {
        configured: true,
        issuer: SETTINGS.issuer,
        required: false,
        state: expect.objectContaining({ status: 'signed-out', claims: null, token_fingerprint: null }),
        hint: 'glassbox login',
      },
    });
    const none = await call<IdentityResponse>(plain, 'GET', '/api/identity');
    expect(none.body).toMatchObject({ configured: false, issuer: null, required: false, hint: null });
    const health = await call<HealthResponse>(configured, 'GET', '/api/health');
    expect(health.body.identity).toEqual({ configured: true, required: false, status: 'signed-out' });
  });

  it('answers 405 to the wrong method, names an unreachable provider (502) and an unconfigured engine (409)', async () => {
    expect((await call(configured, 'POST', '/api/identity')).status).toBe(405);
    expect((await call(configured, 'GET', '/api/identity/login')).status).toBe(405);
    expect((await call(configured, 'GET', '/api/identity/elsewhere')).status).toBe(404);
    const login = await call<{ error: { code: string; message: string } }>(
      configured,
      'POST',
      '/api/identity/login',
    );
    expect(login.status).toBe(502);
    expect(login.body.error).toMatchObject({
      code: 'identity_provider',
      message: expect.stringContaining(SETTINGS.issuer),
    });
    const unconfigured = await call<{ error: { code: string; message: string } }>(
      plain,
      'POST',
      '/api/identity/login',
    );
    expect(unconfigured.status).toBe(409);
    expect(unconfigured.body.error.code).toBe('not_configured');
  });
});

describe('control API: /api/identity with an injected IdentityControl', () => {
  let provider: TestOidcProvider;
  let home: string;
  let store: Store;
  let source: IdentityComponent;
  let server: ApiServer;
  let next: () => Promise<{ url: string }>;
  const calls: string[] = [];

  beforeAll(async () => {
    provider = await startOidcProvider();
    home = tempHome();
    store = Store.open(`${home}/glassbox.db`, { journalDir: `${home}/journal` });
    const settings = testIdentitySettings(provider);
    source = new IdentityComponent({ home, settings, warn: () => undefined });
    await source.start();
    const control: IdentityControl = {
      settings,
      source,
      beginBrowserLogin: () => {
        calls.push('login');
        return next();
      },
      logout: async () => {
        calls.push('logout');
        writeSignInState(home, signedOutState());
        await source.reload(); // as IdentityController does after writing the state
      },
    };
    server = new ApiServer({
      store,
      token: 't0ken',
      host: '127.0.0.1',
      port: 0,
      version: 'test',
      rendererDir: null,
      identity: control,
      health: () => ({
        proxies: {
          anthropic: {
            url: '',
            upstream: '',
            status: { state: 'unknown', since: null, last_error: null, failed_requests: 0 },
          },
        },
        postgres: { pending: {}, sources: [] },
        guard: { status: 'ok', enabled: true },
      }),
    });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    await source?.stop();
    store?.close();
    await provider?.close();
  });

  const post = async <T>(path: string) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer t0ken' },
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  it('starts a browser sign-in and answers the URL, and names what failed when it cannot', async () => {
    next = async () => ({ url: `${provider.issuer}/auth?client_id=glassbox-cli` });
    expect(await post('/api/identity/login')).toEqual({
      status: 200,
      body: { url: `${provider.issuer}/auth?client_id=glassbox-cli` },
    });
    next = () =>
      Promise.reject(new IdentityError('unreachable', 'the identity provider at … cannot be reached'));
    const down = await post<{ error: { code: string; reason: string } }>('/api/identity/login');
    expect(down.status).toBe(502);
    expect(down.body.error).toMatchObject({ code: 'identity_provider', reason: 'unreachable' });
    next = () =>
      Promise.reject(new IdentityError('not-configured', 'add an identity section to config.json'));
    expect((await post('/api/identity/login')).status).toBe(409);
  });

  it('signs out, and answers the state after it without any token', async () => {
    const tokens = await signInForTest(provider, home, 'alice');
    const deadline = Date.now() + 10_000;
    while (source.state().status !== 'signed-in' && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const out = await post<IdentityResponse>('/api/identity/logout');
    expect(out.status).toBe(200);
    expect(out.body).toMatchObject({
      configured: true,
      hint: 'glassbox login',
      state: { status: 'signed-out' },
    });
    expect(JSON.stringify(out.body)).not.toContain(tokens.access_token);
    expect(calls).toEqual(['login', 'login', 'login', 'logout']);
  });
});
