/**
 * The dashboard's browser sign-in: the OpenID Connect authorization code flow (OpenID Connect Core 1.0 §3.1)
 * as a public client (no secret) with PKCE S256 (RFC 7636), `state` and `nonce`, through openid-client 6.
 * The redirect URI is `<public URL or listening URL>/auth/callback`; the provider must list it for the client
 * (a native client's loopback redirect matches any port, RFC 8252 §7.3).
 */
import * as client from 'openid-client';
import type { ServerConfig } from '../config.js';
import type { PendingLogin } from './browser-session.js';

/** Why a sign-in could not start or finish; `message` is safe to show. */
export class LoginError extends Error {
  override name = 'LoginError';
}

/** Starts and finishes browser sign-ins for one server's issuer and client. */
export class BrowserLogin {
  private discovered: Promise<client.Configuration> | undefined;

  constructor(private readonly config: ServerConfig) {}

  /**
   * A new sign-in: the provider's authorization URL to send the browser to, and what the callback needs.
   * Asks for `resource`/`audience` = the server's audience when tokens are access tokens (RFC 8707 §2; Auth0's
   * `audience`), and the `groups` scope when the provider lists it.
   * @throws LoginError when the provider's discovery document cannot be read
   */
  async start(redirectUri: string, returnTo: string): Promise<{ url: string; pending: PendingLogin }> {
    const configuration = await this.configuration();
    const verifier = client.randomPKCECodeVerifier();
    const pending: PendingLogin = {
      verifier,
      state: client.randomState(),
      nonce: client.randomNonce(),
      redirectUri,
      returnTo,
    };
    const supported = configuration.serverMetadata().scopes_supported ?? [];
    const scope = ['openid', 'email', 'profile', ...(supported.includes('groups') ? ['groups'] : [])];
    const parameters: Record<string, string> = {
      scope: scope.join(' '),
      redirect_uri: redirectUri,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    };
    if (this.config.token === 'access_token') {
      parameters.audience = this.config.audience;
      if (URL.canParse(this.config.audience)) parameters.resource = this.config.audience;
    }
    return { url: client.buildAuthorizationUrl(configuration, parameters).href, pending };
  }

  /**
   * Exchanges the code of `callbackUrl` (the full URL the provider redirected to) and checks state, PKCE,
   * and the ID token (issuer, audience, expiry, nonce).
   * @returns the token the server verifies (access or ID token, as configured)
   * @throws LoginError with the provider's error or why the answer was refused
   */
  async finish(callbackUrl: URL, pending: PendingLogin): Promise<string> {
    const configuration = await this.configuration();
    let tokens: client.TokenEndpointResponse;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      const e = error as { error?: unknown; error_description?: unknown; message?: string };
      const detail = typeof e.error_description === 'string' ? e.error_description : e.message;
      throw new LoginError(`the sign-in was refused: ${String(e.error ?? '')} ${detail ?? ''}`.trim());
    }
    const token = this.config.token === 'id_token' ? tokens.id_token : tokens.access_token;
    if (!token) throw new LoginError(`the provider answered without an ${this.config.token}`);
    return token;
  }

  private configuration(): Promise<client.Configuration> {
    if (!this.discovered) {
      const issuer = new URL(this.config.issuer);
      const loopbackHttp = issuer.protocol === 'http:';
      this.discovered = client
        .discovery(issuer, this.config.clientId, undefined, client.None(), {
          ...(loopbackHttp && { execute: [client.allowInsecureRequests] }),
          timeout: 5,
        })
        .catch((error: unknown) => {
          this.discovered = undefined;
          throw new LoginError(
            `the sign-in provider ${this.config.issuer} cannot be reached: ${(error as Error).message}`,
          );
        });
    }
    return this.discovered;
  }
}
