/**
 * The sign-in (issue 18) as the desktop shell shows it: what the tray lists, the words of the one "sign in
 * again" notification, and which sign-in pages may be opened in the user's browser. Electron-free; the
 * engine owns the sign-in itself (GET /api/identity, POST /api/identity/login and /logout).
 */
import type {
  IdentityResponse,
  SignInStatus,
  TokenStoreKind,
  VerifiedClaims,
} from '../proxy/identity/types.js';

/** The command that signs in from a terminal (IdentityResponse's `hint` when the engine gives none). */
export const LOGIN_COMMAND = 'glassbox login';

/** What the tray shows of the sign-in; undefined (no entries) when sign-in is not configured. */
export interface TraySignIn {
  status: SignInStatus;
  /** The person ("Alice Example", else the email, else the subject); null when signed out. */
  who: string | null;
  /** Where the tokens live (TokenStore `where`), null when signed out. */
  tokensWhere: string | null;
  /** The kind of that store: a `file` is not protected by a keyring (the tray says so). */
  tokensKind: TokenStoreKind | null;
  /** What to run to sign in from a terminal. */
  command: string;
}

/** The shortest readable name of a verified person: name, else email, else subject. */
export function personLabel(claims: VerifiedClaims | null): string | null {
  if (!claims) return null;
  return claims.name || claims.email || claims.subject;
}

/**
 * The tray's view of GET /api/identity. @param identity undefined when the engine has not answered or has
 * no sign-in (an engine older than issue 18 answers 404)
 */
export function traySignIn(identity: IdentityResponse | undefined): TraySignIn | undefined {
  if (!identity?.configured) return undefined;
  const { state } = identity;
  const signedOut = state.status === 'signed-out';
  return {
    status: state.status,
    who: signedOut ? null : personLabel(state.claims),
    tokensWhere: signedOut ? null : (state.store?.where ?? null),
    tokensKind: signedOut ? null : (state.store?.kind ?? null),
    command: identity.hint ?? LOGIN_COMMAND,
  };
}

/** The words of the notification shown once when the sign-in expires. */
export function signInExpiredNotice(
  issuer: string | null,
  reason: string | null,
): { title: string; body: string } {
  const where = issuer ? ` to ${issuer}` : '';
  return {
    title: 'Glassbox: sign in again',
    body:
      `Your sign-in${where} expired${reason ? ` (${reason})` : ''}. Recording continues, but sessions are ` +
      `recorded as unverified until you sign in again: use the tray, or run \`${LOGIN_COMMAND}\`.`,
  };
}

/** Loopback host names (RFC 8252 §8.3: a loopback issuer may be plain http). */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * True when `url` may be opened as a sign-in page: https, or http on a loopback address (a local provider;
 * the engine accepts plain http issuers only there). Anything else the engine answered is not opened.
 */
export function isSignInUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname));
  } catch {
    return false;
  }
}
