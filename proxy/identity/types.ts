/**
 * Sign-in (OIDC) contract shared by the flows (login), the token store, the engine's live identity and the
 * control API. Read "Identity" in DESIGN.md.
 *
 * Pieces and who owns them:
 * - `settings.ts`: the `identity` section of config.json ({@link IdentitySettings}).
 * - `discovery.ts`, `browser-flow.ts`, `device-flow.ts`, `signin.ts`: discovery and the two grants
 *   (RFC 8252 loopback authorization code + PKCE, RFC 8628 device authorization), ending in a {@link TokenSet}.
 * - `token-store.ts`: where a {@link TokenSet} is kept ({@link TokenStore}: OS keychain, a file sealed with the
 *   desktop app's keychain-held key, or a 0600 file), and `sign-in-state.ts`: the non-secret
 *   {@link SignInState} file beside it that every process reads and the engine watches.
 * - `refresh.ts`: refreshing before expiry under a file lock, re-reading the store after winning the lock, so
 *   a rotated refresh token is never used twice.
 * - `component.ts`: the engine's {@link IdentitySource} (live state, refresh timer, "expired" on failure).
 *
 * Tokens (access, refresh, ID) live only in a {@link TokenStore}. They are never recorded, logged, put in a
 * {@link SignInState}, returned by the control API, or exported.
 */
import type { Identity } from '../store/types.js';

/** The `identity` section of config.json after validation. Absent section: sign-in is not configured. */
export interface IdentitySettings {
  /** The OIDC issuer URL (https://, or http:// on a loopback address only). */
  issuer: string;
  /** The public (native) client's id registered at the provider. */
  clientId: string;
  /** Requested scopes; default `openid email profile offline_access`. */
  scopes: string[];
  /** The ID token claim holding the user's groups; default `groups`. */
  groupsClaim: string;
  /** The audience (resource) to request access tokens for, where the provider needs one (team server). */
  audience?: string;
  /** When true, the proxies refuse new sessions without a valid sign-in (managed fleets). Default false. */
  required: boolean;
}

/** The person as the provider's verified ID token says (claims already picked; groups from `groupsClaim`). */
export interface VerifiedClaims {
  /** `iss` */
  issuer: string;
  /** `sub` */
  subject: string;
  email: string | null;
  name: string | null;
  groups: string[];
}

/**
 * What a sign-in stores. Secret: only a {@link TokenStore} holds it. Times in ms since epoch.
 */
export interface TokenSet {
  issuer: string;
  client_id: string;
  access_token: string;
  /** Absent when the provider issued none (no offline_access); then the sign-in ends with the access token. */
  refresh_token: string | null;
  id_token: string | null;
  /** When the access token expires, ms since epoch. */
  expires_at: number;
  /** When these tokens were obtained (sign-in or last refresh), ms since epoch. */
  obtained_at: number;
  /** The identity the last verified ID token carried. */
  claims: VerifiedClaims;
  /** {@link tokenFingerprint} of the ID token that verified `claims` (never the token). */
  token_fingerprint: string;
}

/** Where tokens are kept: the OS keychain (CLI), a file sealed with the desktop app's key, or a 0600 file. */
export type TokenStoreKind = 'keychain' | 'sealed-file' | 'file';

/**
 * A place for one {@link TokenSet} per Glassbox home. Synchronous and small; implementations never log tokens.
 * @throws from `read`/`write`/`clear` only on an unusable store (the message says what to do)
 */
export interface TokenStore {
  readonly kind: TokenStoreKind;
  /** Where, for people: "OS keychain (Secret Service)", "/home/u/.glassbox/tokens.json (0600)". */
  readonly where: string;
  /** A warning to print once when this store is a fallback (e.g. no keychain found), else null. */
  readonly warning: string | null;
  read(): TokenSet | null;
  write(tokens: TokenSet): void;
  clear(): void;
}

/** `signed-in`: valid tokens; `expired`: refresh failed (sign in again); `signed-out`: none. */
export type SignInStatus = 'signed-out' | 'signed-in' | 'expired';

/**
 * The non-secret sign-in state every process reads (`$GLASSBOX_HOME/identity.json`, 0600): what `whoami`,
 * the engine, the dashboard and the tray show. Never holds a token. Times in ms since epoch.
 */
export interface SignInState {
  status: SignInStatus;
  /** The person (from the last verified ID token); null when signed out. Kept while `expired`. */
  claims: VerifiedClaims | null;
  /** Access token expiry; null when signed out. */
  expires_at: number | null;
  token_fingerprint: string | null;
  /** Which store holds the tokens, and where (for `whoami`). Null when signed out. */
  store: { kind: TokenStoreKind; where: string } | null;
  /** Why the state is `expired` ("the provider refused the refresh token (invalid_grant)"); else null. */
  reason: string | null;
  /** When this state was written. */
  changed_at: number;
}

/** How a session's identity stands, recorded in its identity JSON (`identity_status`). */
export type IdentityStatus = NonNullable<Identity['identity_status']>;

/**
 * The engine's live view of the sign-in, read at each new session (never cached by callers), so signing in or
 * out while the engine runs applies to the next session without a restart.
 */
export interface IdentitySource {
  /** The identity to stamp on a new session now: verified claims + OS user and host, or `verified: false`. */
  current(): Identity;
  /** The sign-in state as the engine sees it now. */
  state(): SignInState;
  /**
   * Non-null when identity is required (`identity.required`) and there is no valid sign-in: the sentence a
   * refusal carries ("Glassbox requires sign-in: run `glassbox login`"). Null when a session may start.
   */
  refusal(): string | null;
  /** Called on every change of {@link state}; returns the unsubscribe function. */
  subscribe(listener: (state: SignInState) => void): () => void;
  /**
   * Re-reads the state now (subscribers are told if it changed), for a writer in this process — a sign-out
   * must not leave the next session, or the API's answer, with the old person until the file watch fires.
   * Optional: without it the change arrives through the watch. Resolves once the state is applied (a new
   * sign-in after its ID token was verified).
   */
  reload?(): Promise<void>;
}

/** `GET /api/identity`: the control API's view for the dashboard and the tray. Never holds a token. */
export interface IdentityResponse {
  /** False when config.json has no `identity` section (sign-in not configured). */
  configured: boolean;
  issuer: string | null;
  required: boolean;
  state: SignInState;
  /** What to run to sign in (again): "glassbox login"; null when signed in. */
  hint: string | null;
}

/** `POST /api/identity/login`: the engine starts a browser sign-in and answers with the URL to open. */
export interface IdentityLoginResponse {
  /** The provider's authorization URL (the desktop app opens it with shell.openExternal). */
  url: string;
}

/**
 * A browser sign-in under way (browser-flow.ts `startBrowserSignIn`): the loopback listener is up and `url`
 * is the authorization URL to open; `result` settles when the provider redirects back (or on timeout/cancel).
 */
export interface PendingBrowserSignIn {
  url: string;
  /** The tokens of the completed sign-in (not yet stored). @throws IdentityError timeout, cancelled, refused */
  result: Promise<TokenSet>;
  cancel(): void;
}

/** What the control API needs of the engine's identity component: the live state and sign-in/out. */
export interface IdentityControl {
  /** The `identity` section of config.json, or null when sign-in is not configured. */
  readonly settings: IdentitySettings | null;
  readonly source: IdentitySource;
  /**
   * Starts a browser sign-in in the engine (the desktop app and the dashboard open the URL); when it completes
   * the tokens are stored and the state changes (subscribers are told).
   * @throws IdentityError `not-configured`, `unreachable`, `not-an-issuer`
   */
  beginBrowserLogin(): Promise<IdentityLoginResponse>;
  /** Revokes the refresh token where the provider supports it, forgets the tokens, state → signed out. */
  logout(): Promise<void>;
  /**
   * Calls `listener` when a browser sign-in begun by {@link beginBrowserLogin} ends without signing anyone in
   * (denied at the provider, timed out, refused, or its tokens could not be stored) — not when it was
   * cancelled by a newer sign-in, a logout or shutdown. Returns the unsubscribe function. Optional: a
   * control without it never reports such endings.
   */
  onSignInFailed?(listener: (failure: SignInFailure) => void): () => void;
}

/**
 * A browser sign-in begun in the engine that ended without signing anyone in (issue 18): the dashboard and
 * the tray show `message`, since the person who clicked Sign in is not looking at the engine's log.
 */
export interface SignInFailure {
  /** What kind of failure (IdentityErrorCode in errors.ts: `refused`, `timeout`, `store`, …). */
  code: string;
  /** The sentence to show: what failed and what to do ("The sign-in was denied at … (access_denied …)"). */
  message: string;
}
