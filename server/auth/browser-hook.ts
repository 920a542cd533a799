/**
 * The onRequest hook that accepts the dashboard's session cookie (server/auth/browser-session.ts): a request
 * without `Authorization` whose cookie opens with this server's key is marked with the cookie's token, which
 * principalOf then verifies like a bearer token. Refused with 403 `forbidden` before any route runs:
 * a cookie-authenticated request from another origin (`Origin` differs: CSRF, cross-site WebSocket hijacking),
 * and a cookie-authenticated state-changing request (not GET/HEAD/OPTIONS) without `X-Glassbox-CSRF: 1`.
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config.js';
import { HttpError } from '../http/errors.js';
import { BrowserSessions, CSRF_HEADER, setBrowserToken } from './browser-session.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The dashboard's cookie sessions (browser-session.ts), sealed with `config.sessionSecret` (Secure cookies when
 * the public URL is https); without a secret a random key is used, and that is said once in the log.
 */
export function browserSessionsFor(
  config: Pick<ServerConfig, 'sessionSecret' | 'publicUrl'>,
  log: FastifyBaseLogger,
): BrowserSessions {
  if (!config.sessionSecret)
    log.warn(
      'GLASSBOX_SERVER_SESSION_SECRET is not set: dashboard sign-ins last until this process stops, and instances do not share them',
    );
  return BrowserSessions.create(config.sessionSecret, config.publicUrl?.startsWith('https:') ?? false);
}

/** The hook for `app.addHook('onRequest', …)`. @throws HttpError 403 as described above */
export function acceptBrowserSession(sessions: BrowserSessions, config: Pick<ServerConfig, 'publicUrl'>) {
  return async (request: FastifyRequest): Promise<void> => {
    if (request.headers.authorization || !request.headers.cookie) return;
    const session = await sessions.openSession(request);
    if (!session) return;
    const origin = request.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, request, config))
      throw new HttpError(403, 'forbidden', `requests from ${origin} cannot use the dashboard's sign-in`);
    if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== '1')
      throw new HttpError(
        403,
        'forbidden',
        `a browser request that changes something must carry ${CSRF_HEADER}: 1`,
      );
    setBrowserToken(request, session.token);
  };
}

/** Whether `origin` is this server as the browser reached it (`--public-url`, else the Host it asked for). */
function sameOrigin(
  origin: string,
  request: FastifyRequest,
  config: Pick<ServerConfig, 'publicUrl'>,
): boolean {
  if (config.publicUrl) return origin === new URL(config.publicUrl).origin;
  const host = request.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}
