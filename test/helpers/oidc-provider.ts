/**
 * A real OIDC provider for tests: panva's `oidc-provider` 8.x, in the test process, on 127.0.0.1 and a free
 * port (plain http: a loopback issuer, which Glassbox allows). It has:
 * - a native public client `glassbox-cli` (no secret, `token_endpoint_auth_method: none`), whose loopback
 *   redirect `http://127.0.0.1/callback` matches any port (RFC 8252 §7.3), PKCE S256 required;
 * - the device authorization grant (RFC 8628), revocation, refresh tokens that rotate (reusing a rotated-out
 *   one revokes the whole grant, as real providers do);
 * - the built-in login and consent pages (`devInteractions`: any login and password; the account id is the
 *   login), whose stylesheet imports Google Fonts: block `fonts.googleapis.com` in Playwright;
 * - email, name and a `groups` claim in the ID token (`conformIdTokenClaims: false`, like Keycloak/Okta/Entra);
 * - with `apiResource`, JWT access tokens for that API (RFC 8707 resource indicators; RFC 9068 `at+jwt`, RS256,
 *   `aud` = the API's audience, `groups`/`email`/`name` in the token), as the team server verifies them. Without
 *   it, access tokens stay opaque (oidc-provider's default).
 *
 * oidc-provider sends no `interval` on device authorization and never answers `slow_down`; the test hooks
 * `deviceInterval` and `slowDownPolls` add both, as a real provider does under load.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, errors } from 'oidc-provider';

/** A test account's claims (its id is the login typed into the provider's form). */
export interface TestAccount {
  email: string;
  name: string;
  groups: string[];
}

/** The accounts every test provider knows; any other login gets `<login>@example.test` and no groups. */
export const TEST_ACCOUNTS: Record<string, TestAccount> = {
  alice: { email: 'alice@example.test', name: 'Alice Example', groups: ['engineering', 'auditors'] },
  bob: { email: 'bob@example.test', name: 'Bob Example', groups: ['db-approvers'] },
};

/** The client id of the native public client. */
export const TEST_CLIENT_ID = 'glassbox-cli';

/** Options of {@link startOidcProvider}. Lifetimes in seconds. */
export interface OidcProviderOptions {
  /** Token lifetimes (s): AccessToken and IdToken default 30, RefreshToken 600, DeviceCode 120. */
  ttl?: Partial<Record<'AccessToken' | 'IdToken' | 'RefreshToken' | 'DeviceCode' | 'Grant', number>>;
  /** Answer this many device_code polls with `slow_down` before letting them through. Default 0. */
  slowDownPolls?: number;
  /** The `interval` (s) to advertise on device authorization. Default 1. */
  deviceInterval?: number;
  /** Extra accounts, merged over {@link TEST_ACCOUNTS}. */
  accounts?: Record<string, TestAccount>;
  /** The device authorization grant (RFC 8628) on (default) or off: off, discovery has no device endpoint. */
  deviceFlow?: boolean;
  /**
   * Whether the code flow's ID token carries email, name and groups (default true, like Keycloak/Okta/Entra).
   * False is oidc-provider's own default (`conformIdTokenClaims`): those claims only at the userinfo endpoint.
   */
  idTokenClaims?: boolean;
  /** Token revocation (RFC 7009) on (default) or off: off, discovery has no revocation endpoint. */
  revocation?: boolean;
  /**
   * Issue JWT access tokens for this API. `indicator` is the RFC 8707 `resource` value (an absolute URI without a
   * fragment); it is also the default resource when a request names none, so clients that send no `resource`
   * still get a JWT. `audience` (default: the indicator) is the token's `aud`.
   */
  apiResource?: { indicator: string; audience?: string; scope?: string };
}

/** A running provider. */
export interface TestOidcProvider {
  /** `http://127.0.0.1:<port>` */
  issuer: string;
  provider: Provider;
  /** Times (ms since epoch) of the `slow_down` answers given so far. */
  slowDowns: number[];
  /** Grant types of every token request so far, in order (e.g. `refresh_token`), for race assertions. */
  tokenRequests: string[];
  /** The same with the time each arrived (ms since epoch), for assertions on polling intervals. */
  tokenRequestLog: { grantType: string; at: number }[];
  close(): Promise<void>;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * Starts a provider on 127.0.0.1 and a free port. Stop it with `close()`.
 */
export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<TestOidcProvider> {
  const accounts = { ...TEST_ACCOUNTS, ...options.accounts };
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api = options.apiResource;
  const ttl = {
    AccessToken: 30,
    IdToken: 30,
    RefreshToken: 600,
    DeviceCode: 120,
    Interaction: 300,
    Session: 600,
    Grant: 600,
    ...options.ttl,
  };
  const configuration: Configuration = {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        // The engine's loopback sign-in, and the team server's dashboard (both any port, RFC 8252 §7.3).
        redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/auth/callback'],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
      },
    ],
    pkce: { required: () => true, methods: ['S256'] },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: options.deviceFlow ?? true },
      revocation: { enabled: options.revocation ?? true },
      ...(api && {
        resourceIndicators: {
          enabled: true,
          // No `resource` on a request → this API (oidc-provider's default would be an opaque token).
          defaultResource: async () => api.indicator,
          // Token requests may omit `resource` (a refresh without parameters): reuse the grant's.
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, resource) => {
            if (resource !== api.indicator) throw new errors.InvalidTarget();
            return {
              scope: api.scope ?? 'glassbox',
              audience: api.audience ?? api.indicator,
              accessTokenTTL: ttl.AccessToken,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'RS256' } },
            };
          },
        },
      }),
    },
    // The API authorizes by groups: JWT access tokens carry them (and email, name) too.
    extraTokenClaims: async (_ctx, token) => {
      if (!api || token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const account = accounts[token.accountId] ?? {
        email: `${token.accountId}@example.test`,
        name: token.accountId,
        groups: [],
      };
      return { email: account.email, name: account.name, groups: account.groups };
    },
    conformIdTokenClaims: !(options.idTokenClaims ?? true),
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    ttl,
    findAccount: async (_ctx, sub) => {
      const account = accounts[sub] ?? { email: `${sub}@example.test`, name: sub, groups: [] };
      return { accountId: sub, claims: async () => ({ sub, email_verified: true, ...account }) };
    },
    cookies: { keys: ['glassbox-test-cookie-key'] },
  };
  const provider = new Provider(issuer, configuration);
  const slowDowns: number[] = [];
  const tokenRequests: string[] = [];
  const tokenRequestLog: { grantType: string; at: number }[] = [];
  let slowDownsLeft = options.slowDownPolls ?? 0;
  const deviceInterval = options.deviceInterval ?? 1;
  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && ctx.method === 'POST') {
      // Read the form body here to see the grant type; oidc-provider then takes it from req.body.
      const body = await readBody(ctx.req);
      const grantType = new URLSearchParams(body).get('grant_type') ?? '';
      tokenRequests.push(grantType);
      tokenRequestLog.push({ grantType, at: Date.now() });
      if (grantType === DEVICE_GRANT && slowDownsLeft > 0) {
        slowDownsLeft -= 1;
        slowDowns.push(Date.now());
        ctx.status = 400;
        ctx.body = { error: 'slow_down', error_description: 'poll less often' };
        return;
      }
      (ctx.req as typeof ctx.req & { body?: string }).body = body;
    }
    await next();
    if (ctx.path === '/device/auth' && ctx.status === 200 && deviceInterval) {
      (ctx.body as { interval?: number }).interval = deviceInterval;
    }
  });
  // oidc-provider's development warnings (in-memory adapter, dev keys, dev pages) are expected in tests.
  server.on('request', provider.callback());
  return {
    issuer,
    provider,
    slowDowns,
    tokenRequests,
    tokenRequestLog,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function readBody(req: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
