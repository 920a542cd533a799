/**
 * The browser sign-in: the authorization code grant with PKCE (RFC 7636, S256) and `state`, through a redirect
 * to a loopback listener on 127.0.0.1 and a free port (RFC 8252 §7.3, "OAuth 2.0 for Native Apps"). The
 * listener answers the browser itself (a page saying the tab may be closed), takes only the first callback
 * that carries this sign-in's `state`, and closes after it.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { sendCallbackPage } from './callback-page.js';
import { IdentityError } from './errors.js';
import { audienceParameters, grantError, providerError, tokenSetWithProfile } from './grant-result.js';
import type { IdentitySettings, PendingBrowserSignIn, TokenSet } from './types.js';

/** How long a browser sign-in waits for the provider's redirect by default, ms (5 min). */
export const DEFAULT_BROWSER_TIMEOUT_MS = 5 * 60_000;

/** The loopback listener's path (the test provider registers `http://127.0.0.1/callback`). */
export const CALLBACK_PATH = '/callback';

/** Options of {@link startBrowserSignIn}. */
export interface BrowserSignInOptions {
  /** How long to wait for the redirect back, ms. Default {@link DEFAULT_BROWSER_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Progress for people (a refused callback), one line each; never a token or a code. */
  onProgress?: (line: string) => void;
}

/** "5 min", "90 s": a wait for people. */
export function waitText(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 && s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}

/**
 * Starts a browser sign-in: listens on `http://127.0.0.1:<free port>/callback`, then builds the authorization
 * URL (`response_type=code`, PKCE S256, `state`, the scopes, `audience`/`resource` when configured, and
 * `prompt=consent` when `offline_access` is asked, which OpenID Connect Core 1.0 §11 requires for it).
 * `result` resolves with the tokens after the redirect back and the code exchange (not yet stored).
 * A callback with another `state` is refused (400 page) and the sign-in keeps waiting; an error redirect
 * with this sign-in's `state` ends it.
 * @throws IdentityError when the listener cannot start; `result` rejects with IdentityError `timeout`,
 *   `cancelled`, `refused` (the provider's error, a failed exchange) or `unreachable`
 */
export async function startBrowserSignIn(
  config: client.Configuration,
  settings: IdentitySettings,
  options: BrowserSignInOptions = {},
): Promise<PendingBrowserSignIn> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_BROWSER_TIMEOUT_MS;
  const issuer = config.serverMetadata().issuer;
  const verifier = client.randomPKCECodeVerifier();
  const challenge = await client.calculatePKCECodeChallenge(verifier);
  const state = client.randomState();

  const server = createServer();
  server.listen(0, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    throw new IdentityError(
      'refused',
      `Cannot listen on 127.0.0.1 for the browser's return (${(error as Error).message}). Use \`glassbox login --device\`.`,
    );
  }
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${CALLBACK_PATH}`;
  let url: string;
  try {
    url = client.buildAuthorizationUrl(config, {
      ...audienceParameters(settings),
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      ...(settings.scopes.includes('offline_access') && { prompt: 'consent' }),
    }).href;
  } catch (error) {
    server.close();
    throw grantError(issuer, error);
  }

  let phase: 'waiting' | 'exchanging' | 'done' = 'waiting';
  let settle: { resolve: (tokens: TokenSet) => void; reject: (error: IdentityError) => void } | undefined;
  const result = new Promise<TokenSet>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may never await a cancelled sign-in; its rejection must not count as unhandled.
  result.catch(() => undefined);

  const finish = (outcome: { tokens: TokenSet } | { error: IdentityError }) => {
    if (phase === 'done') return;
    phase = 'done';
    clearTimeout(timer);
    server.close();
    server.closeIdleConnections();
    if ('tokens' in outcome) settle?.resolve(outcome.tokens);
    else settle?.reject(outcome.error);
  };
  const timer = setTimeout(() => {
    finish({
      error: new IdentityError(
        'timeout',
        `The browser did not come back from ${issuer} within ${waitText(timeoutMs)}, so the sign-in was ` +
          'abandoned. Run `glassbox login` again (or `glassbox login --device` to sign in on another device).',
      ),
    });
    server.closeAllConnections();
  }, timeoutMs);

  const exchange = async (callbackUrl: URL, res: ServerResponse) => {
    try {
      const response = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        idTokenExpected: true,
      });
      const tokens = await tokenSetWithProfile(config, response, settings);
      const who = tokens.claims.name ?? tokens.claims.email ?? tokens.claims.subject;
      sendCallbackPage(res, {
        status: 200,
        title: 'Signed in to Glassbox',
        text: `Signed in as ${who}. You may close this tab.`,
      });
      res.once('finish', () => finish({ tokens }));
    } catch (error) {
      const failure = grantError(issuer, error);
      sendCallbackPage(res, { status: 400, title: 'Sign-in failed', text: failure.message });
      res.once('finish', () => finish({ error: failure }));
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const callbackUrl = new URL(req.url ?? '/', redirectUri);
    if (req.method !== 'GET' || callbackUrl.pathname !== CALLBACK_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    if (phase !== 'waiting') {
      sendCallbackPage(res, {
        status: 409,
        title: 'Sign-in already finished',
        text: 'This sign-in has already ended; this page is not part of it. You may close this tab.',
      });
      return;
    }
    const params = callbackUrl.searchParams;
    if (params.get('state') !== state) {
      options.onProgress?.(
        "Refused a redirect that did not carry this sign-in's state (not from this sign-in).",
      );
      sendCallbackPage(res, {
        status: 400,
        title: 'Not this sign-in',
        text:
          'This address does not belong to the sign-in Glassbox is waiting for (the state does not match), so ' +
          'it was refused. Use the link that `glassbox login` printed.',
      });
      return;
    }
    phase = 'exchanging';
    const errorCode = params.get('error');
    if (errorCode) {
      const failure = providerError(issuer, errorCode, params.get('error_description'));
      sendCallbackPage(res, { status: 400, title: 'Sign-in failed', text: failure.message });
      res.once('finish', () => finish({ error: failure }));
      return;
    }
    void exchange(callbackUrl, res);
  });

  return {
    url,
    result,
    cancel: () => {
      finish({ error: new IdentityError('cancelled', 'The sign-in was cancelled.') });
      server.closeAllConnections();
    },
  };
}
