/**
 * The dashboard's browser session: the person's access token (or ID token with `--token id_token`), kept in
 * an encrypted, httpOnly cookie, so a request from the dashboard the server serves at `/` is authenticated
 * like one carrying `Authorization: Bearer` (server/http/context.ts principalOf), the `/v1/live` WebSocket
 * upgrade included (browsers cannot set Authorization on a WebSocket).
 *
 * Threat model (what the cookie design defends against, and what it does not):
 * - Script in the page (an XSS through a recorded payload rendered by the dashboard): the cookie is httpOnly,
 *   so script cannot read the token and replay it elsewhere; the page's CSP allows no inline or foreign script.
 *   Script running in the page can still call the API as the person while the page is open — as with any
 *   session — which is why rendering never injects recorded text as HTML.
 * - Another site the person visits (CSRF, cross-site WebSocket hijacking): the cookie is SameSite=Strict, so
 *   it is not sent on cross-site requests at all; on top of that every state-changing request authenticated by
 *   the cookie must carry `X-Glassbox-CSRF: 1` (a custom header a cross-origin page cannot send without a CORS
 *   preflight, which this server never grants), and a cookie-authenticated request carrying another `Origin`
 *   is refused (this covers the WebSocket upgrade, which no preflight guards).
 * - Someone reading the cookie off the disk or a proxy log: it is sealed with AES-256-GCM (JWE `dir`,
 *   jose) under the server's session key, so it is useless without the key; it expires with the token.
 *   Secure when the server is reached over https (`--public-url https://…`, then the `__Host-` prefix).
 * - Stolen session key: whoever has `--session-secret` can read every cookie; keep it like a password. With
 *   no secret, each process draws a random key: sign-ins end at a restart and two instances need a shared one.
 * - The token is never refreshed here: when it expires the dashboard shows its sign-in page again (the
 *   provider's own session usually makes that one click). The server keeps nothing per browser (stateless).
 * The sign-in's own state (PKCE verifier, state, nonce) rides in a second sealed cookie, SameSite=Lax so it
 * comes back on the provider's top-level redirect, scoped to `/auth`, for 10 minutes.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { EncryptJWT, jwtDecrypt } from 'jose';

/** The header a browser's state-changing request must carry (value `1`). */
export const CSRF_HEADER = 'x-glassbox-csrf';
/** How long a started sign-in may take (s). */
export const LOGIN_TTL_S = 600;

/** What the session cookie holds once opened. */
export interface BrowserSession {
  /** The token the server verifies (access token, or ID token with `--token id_token`). */
  token: string;
}

/** What the sign-in cookie holds between `/auth/login` and `/auth/callback`. */
export interface PendingLogin {
  verifier: string;
  state: string;
  nonce: string;
  redirectUri: string;
  /** Where to go after signing in (a path on this server). */
  returnTo: string;
}

const BROWSER_TOKEN = Symbol('browserToken');
const PURPOSE = { session: 'glassbox-dashboard-session', login: 'glassbox-dashboard-login' } as const;

/**
 * Seals and opens the dashboard's cookies. `secure`: set the Secure attribute (the dashboard is reached over
 * https) and name the session cookie with the `__Host-` prefix (RFC 6265bis §4.1.3.2).
 */
export class BrowserSessions {
  readonly sessionCookie: string;
  readonly loginCookie = 'glassbox_login';

  private constructor(
    private readonly key: Uint8Array,
    readonly secure: boolean,
  ) {
    this.sessionCookie = secure ? '__Host-glassbox_session' : 'glassbox_session';
  }

  /**
   * Keys from `secret` (any string of ≥ 32 characters, stretched by SHA-256 to the 256-bit AES key); without
   * one, a random key for this process.
   */
  static create(secret: string | undefined, secure: boolean): BrowserSessions {
    const key = secret ? createHash('sha256').update(secret).digest() : randomBytes(32);
    return new BrowserSessions(new Uint8Array(key), secure);
  }

  /** The session cookie's value for `token`, expiring at `expiresAt` (s since epoch). */
  sealSession(session: BrowserSession, expiresAt: number): Promise<string> {
    return this.seal({ t: session.token }, PURPOSE.session, expiresAt);
  }

  /** The sign-in cookie's value. */
  sealLogin(login: PendingLogin): Promise<string> {
    return this.seal({ ...login }, PURPOSE.login, Math.floor(Date.now() / 1000) + LOGIN_TTL_S);
  }

  /** The session in `request`'s cookie; undefined when none, expired, or not sealed with this key. */
  async openSession(request: FastifyRequest): Promise<BrowserSession | undefined> {
    const payload = await this.open(readCookie(request.headers.cookie, this.sessionCookie), PURPOSE.session);
    return typeof payload?.t === 'string' ? { token: payload.t } : undefined;
  }

  /** The pending sign-in in `request`'s cookie; undefined when none, expired or forged. */
  async openLogin(request: FastifyRequest): Promise<PendingLogin | undefined> {
    const p = await this.open(readCookie(request.headers.cookie, this.loginCookie), PURPOSE.login);
    if (!p) return undefined;
    const { verifier, state, nonce, redirectUri, returnTo } = p;
    if ([verifier, state, nonce, redirectUri, returnTo].some((v) => typeof v !== 'string')) return undefined;
    return { verifier, state, nonce, redirectUri, returnTo } as PendingLogin;
  }

  /** A `Set-Cookie` value for the session (max-age `maxAgeS`; 0 deletes it). */
  sessionSetCookie(value: string, maxAgeS: number): string {
    return cookieLine(this.sessionCookie, value, {
      path: '/',
      maxAgeS,
      sameSite: 'Strict',
      secure: this.secure,
    });
  }

  /** A `Set-Cookie` value for the pending sign-in (0 deletes it). */
  loginSetCookie(value: string, maxAgeS: number): string {
    return cookieLine(this.loginCookie, value, {
      path: '/auth',
      maxAgeS,
      sameSite: 'Lax',
      secure: this.secure,
    });
  }

  private async seal(claims: Record<string, unknown>, purpose: string, expiresAt: number): Promise<string> {
    return new EncryptJWT(claims)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setAudience(purpose)
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .encrypt(this.key);
  }

  private async open(
    value: string | undefined,
    purpose: string,
  ): Promise<Record<string, unknown> | undefined> {
    if (!value) return undefined;
    try {
      const { payload } = await jwtDecrypt(value, this.key, {
        audience: purpose,
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      return payload;
    } catch {
      return undefined;
    }
  }
}

/** Marks `request` as authenticated by the browser session holding `token` (see {@link browserTokenOf}). */
export function setBrowserToken(request: FastifyRequest, token: string): void {
  (request as FastifyRequest & { [BROWSER_TOKEN]?: string })[BROWSER_TOKEN] = token;
}

/** The token of `request`'s browser session, when its cookie was accepted (server/app.ts' onRequest hook). */
export function browserTokenOf(request: FastifyRequest): string | undefined {
  return (request as FastifyRequest & { [BROWSER_TOKEN]?: string })[BROWSER_TOKEN];
}

/**
 * The value of cookie `name` in a `Cookie` header (RFC 6265 §5.4: `name=value` pairs separated by `; `);
 * undefined when absent.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function cookieLine(
  name: string,
  value: string,
  o: { path: string; maxAgeS: number; sameSite: 'Strict' | 'Lax'; secure: boolean },
): string {
  const parts = [`${name}=${value}`, `Path=${o.path}`, `Max-Age=${Math.max(0, Math.floor(o.maxAgeS))}`];
  parts.push('HttpOnly', `SameSite=${o.sameSite}`);
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}
