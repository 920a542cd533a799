/**
 * The dashboard's sign-in routes (see server/auth/browser-session.ts for the threat model):
 * - `GET /auth/login?return=/path` → 302 to the provider (code flow, PKCE, state, nonce), with the sealed
 *   pending sign-in in a cookie scoped to /auth;
 * - `GET /auth/callback` → exchanges the code, verifies the token as a bearer token would be (TokenVerifier),
 *   sets the sealed session cookie, and sends a small page that moves on to `return` (a same-site navigation,
 *   so the SameSite=Strict cookie is sent with it; a redirect straight from the provider's would not carry it);
 * - `POST /auth/logout` (with `X-Glassbox-CSRF: 1`) → 204, the cookie deleted.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type BrowserSessions, CSRF_HEADER, LOGIN_TTL_S } from '../auth/browser-session.js';
import { BrowserLogin, LoginError } from '../auth/oidc-login.js';
import { AuthError } from '../auth/verify.js';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';

/** The path the provider redirects back to. */
export const CALLBACK_PATH = '/auth/callback';

/** Registers `/auth/login`, `/auth/callback` and `/auth/logout`. */
export function authRoutes(context: RouteContext, sessions: BrowserSessions) {
  const login = new BrowserLogin(context.config);
  return async (app: App) => {
    app.get(
      '/auth/login',
      { schema: { querystring: z.object({ return: z.string().max(2048).optional() }) } },
      async (request, reply) => {
        const redirectUri = `${baseUrl(request, context)}${CALLBACK_PATH}`;
        let started: Awaited<ReturnType<BrowserLogin['start']>>;
        try {
          started = await login.start(redirectUri, safeReturn(request.query.return));
        } catch (error) {
          if (error instanceof LoginError) return page(reply, 503, 'Sign-in unavailable', error.message);
          throw error;
        }
        reply.header(
          'set-cookie',
          sessions.loginSetCookie(await sessions.sealLogin(started.pending), LOGIN_TTL_S),
        );
        reply.header('cache-control', 'no-store');
        return reply.redirect(started.url, 302);
      },
    );

    app.get(CALLBACK_PATH, async (request, reply) => {
      const pending = await sessions.openLogin(request);
      reply.header('set-cookie', sessions.loginSetCookie('', 0));
      if (!pending)
        return page(
          reply,
          400,
          'Sign-in failed',
          'This sign-in expired or was not started here. Start again.',
        );
      const callbackUrl = new URL(pending.redirectUri);
      callbackUrl.search = new URL(request.url, 'http://callback.invalid').search;
      let token: string;
      let expiresAt: number;
      try {
        token = await login.finish(callbackUrl, pending);
        expiresAt = (await context.verifier.verifyToken(token)).expiresAt;
      } catch (error) {
        if (error instanceof LoginError || error instanceof AuthError) {
          request.log.warn({ reason: error.message }, 'dashboard sign-in refused');
          return page(reply, 400, 'Sign-in failed', error.message);
        }
        throw error;
      }
      const maxAge = expiresAt - Math.floor(Date.now() / 1000);
      reply.header('set-cookie', [
        sessions.loginSetCookie('', 0),
        sessions.sessionSetCookie(await sessions.sealSession({ token }, expiresAt), maxAge),
      ]);
      return page(reply, 200, 'Signed in', 'Opening the dashboard…', pending.returnTo);
    });

    app.post('/auth/logout', async (request, reply) => {
      if (request.headers[CSRF_HEADER] !== '1')
        throw new HttpError(403, 'forbidden', `sign out from the dashboard (send ${CSRF_HEADER}: 1)`);
      reply.header('set-cookie', sessions.sessionSetCookie('', 0));
      return reply.code(204).send();
    });
  };
}

/** The origin people reach this server at: `--public-url`, else the URL it listens on. */
export function baseUrl(request: FastifyRequest, context: RouteContext): string {
  if (context.config.publicUrl) return context.config.publicUrl;
  const address = request.server.server.address();
  const port = typeof address === 'object' && address ? address.port : context.config.port;
  const host = context.config.host.includes(':') ? `[${context.config.host}]` : context.config.host;
  return `http://${host}:${port}`;
}

/** A path on this server to return to after signing in; `/` for anything else (no open redirect). */
export function safeReturn(value: string | undefined): string {
  return value && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : '/';
}

function page(reply: FastifyReply, status: number, title: string, text: string, next?: string) {
  const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const refresh = next ? `<meta http-equiv="refresh" content="0;url=${html(next)}">` : '';
  const link = `<a href="${html(next ?? '/auth/login')}">${next ? 'Continue' : 'Sign in again'}</a>`;
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8">${refresh}<title>${html(title)} · Glassbox</title></head>` +
        `<body><h1>${html(title)}</h1><p>${html(text)}</p><p>${link}</p></body></html>`,
    );
}
