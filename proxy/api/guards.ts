import type { IncomingMessage } from 'node:http';
import { hostHeaderCount, isLoopbackHost, isLoopbackOrigin } from '../common/loopback.js';
import { tokenMatches } from './token.js';

/**
 * Why a request to the control API was refused; `status` is the HTTP status to answer with, `details` more
 * fields for the error body (e.g. `issues` naming each invalid field of a policy).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * DNS-rebinding defence: the Host header must name a loopback address with the API's own port. A page on
 * evil.example that rebinds its name to 127.0.0.1 still sends `Host: evil.example`.
 * @throws ApiError 400 for more than one Host header (RFC 9112 §3.2), 403 for a Host that is not ours
 */
export function checkHost(req: IncomingMessage, port: number): void {
  if (hostHeaderCount(req) > 1) throw new ApiError(400, 'bad_host', 'more than one Host header');
  const host = req.headers.host?.toLowerCase();
  if (!isLoopbackHost(host, port)) {
    throw new ApiError(403, 'forbidden_host', `Host "${host ?? ''}" is not this machine's control API`);
  }
}

/** The desktop app's pages (main/app-protocol.ts). */
const DESKTOP_ORIGIN = 'app://glassbox';

/**
 * CSRF defence: a request that carries an Origin (every browser request except same-origin GETs may) must come
 * from the dashboard's own origin, or from the desktop app's window (`app://glassbox`, an origin only the
 * Electron app's own pages have; its live WebSocket connects from there). Non-browser clients send no Origin
 * and are judged by the token alone.
 * @throws ApiError 403 for a foreign origin (including the opaque "null" origin)
 */
export function checkOrigin(req: IncomingMessage, port: number): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const lower = origin.toLowerCase();
  if (lower === DESKTOP_ORIGIN) return;
  if (!isLoopbackOrigin(lower, port)) {
    throw new ApiError(403, 'forbidden_origin', `Origin "${origin}" may not use the control API`);
  }
}

/**
 * Authentication: `Authorization: Bearer <token>`; for the WebSocket only (browsers cannot set headers on it)
 * also the `access_token` query parameter (RFC 6750 §2.3).
 * @throws ApiError 401 when missing or wrong
 */
export function checkToken(req: IncomingMessage, url: URL, token: string, allowQuery: boolean): void {
  const header = req.headers.authorization;
  const presented = header?.startsWith('Bearer ')
    ? header.slice(7).trim()
    : allowQuery
      ? (url.searchParams.get('access_token') ?? undefined)
      : undefined;
  if (!tokenMatches(presented, token)) {
    throw new ApiError(401, 'unauthorized', 'missing or wrong bearer token (see $GLASSBOX_HOME/token)');
  }
}
