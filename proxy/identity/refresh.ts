/**
 * Refreshing a home's tokens before the access token expires (RFC 6749 §6, OpenID Connect Core 1.0 §12),
 * safely across processes: the refresh runs under the home's identity lock, and the process that gets the
 * lock re-reads the store first. When another process refreshed in the meantime (the tokens changed) it uses
 * those and does not call the provider: refresh tokens rotate, and a rotated-out one presented again makes
 * the provider revoke the whole grant (RFC 9700 §4.14.2). A rotated refresh token is stored before anything
 * else is done, and only then identity.json.
 */
import * as client from 'openid-client';
import { describeError } from '../common/errors.js';
import { discover } from './discovery.js';
import { IdentityError } from './errors.js';
import { withIdentityLock } from './identity-lock.js';
import { sameIssuer } from './settings.js';
import { expiredState, readSignInState, signedInState, writeSignInState } from './sign-in-state.js';
import { tokenSetFromResponse } from './token-set.js';
import { storeForState } from './token-store.js';
import type { IdentitySettings, SignInState, TokenSet, TokenStore } from './types.js';

/** Options of {@link refreshSignIn}. */
export interface RefreshOptions {
  home: string;
  settings: Pick<IdentitySettings, 'issuer' | 'clientId' | 'groupsClaim'>;
  /** For the token store (GLASSBOX_VAULT_KEY). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Refresh even when the access token is not due yet (still only if no other process just did). */
  force?: boolean;
  /** Longest wait for another process holding the lock, ms. Default 60 000. */
  lockWaitMs?: number;
  /** Longest each request to the provider may take, s. Default 15. */
  timeoutSeconds?: number;
  /**
   * Gives up (`cancelled`) while waiting for the lock or before asking the provider; a request already sent
   * is finished, so a rotated refresh token still reaches the store.
   */
  signal?: AbortSignal;
}

/**
 * What a refresh came to. `state` is the sign-in state afterwards (as written to identity.json).
 * - `refreshed`: this process got new tokens; `adopted`: another process had refreshed them; `not-due`:
 *   nothing to do yet. `nextAt` says when to try again.
 * - `unreachable`: the provider did not answer (or answered with a server error); try again later with
 *   backoff. The state stays signed-in while the access token is valid, then becomes expired.
 * - `refused`: the provider refused the refresh (`invalid_grant`: revoked, expired or reused grant) or there
 *   is nothing to refresh with; the state is expired until the next sign-in. No retry.
 * - `failed`: the token store cannot be used (see `reason`); no retry until the sign-in state changes.
 * - `signed-out`: nobody is signed in. `cancelled`: `signal` stopped it before the provider was asked.
 */
export interface RefreshOutcome {
  result:
    | 'refreshed'
    | 'adopted'
    | 'not-due'
    | 'unreachable'
    | 'refused'
    | 'failed'
    | 'signed-out'
    | 'cancelled';
  state: SignInState;
  /** Why, for `unreachable`, `refused` and `failed` (one line, never a token); else null. */
  reason: string | null;
  /** When to call again, ms since epoch; null for no retry or a retry with the caller's backoff. */
  nextAt: number | null;
}

/** The shortest and longest lead before expiry at which a refresh is due, and the share of the lifetime. */
const MIN_LEAD_MS = 30_000;
const LEAD_SHARE = 0.2;

/**
 * When tokens obtained at `obtainedAt` and expiring at `expiresAt` (ms since epoch) are due for a refresh:
 * max(30 s, 20% of the lifetime) before expiry, but never earlier than half-way through the lifetime (short
 * test lifetimes would otherwise be due at once, forever).
 */
export function refreshDueAt(expiresAt: number, obtainedAt: number): number {
  const lifetime = Math.max(0, expiresAt - obtainedAt);
  return expiresAt - Math.min(lifetime / 2, Math.max(MIN_LEAD_MS, lifetime * LEAD_SHARE));
}

/**
 * Refreshes the tokens of `options.home` when they are due (or `force`), under the home's identity lock.
 * Never throws for what the provider, the network or the store do: those are outcomes.
 * @throws only on programming errors
 */
export async function refreshSignIn(options: RefreshOptions): Promise<RefreshOutcome> {
  const { home } = options;
  const env = options.env ?? process.env;
  const before = readSignInState(home);
  let seen: TokenSet | null;
  try {
    seen = storeForState(home, before, env)?.read() ?? null;
  } catch (error) {
    return failed(before, error);
  }
  if (!seen) return { result: 'signed-out', state: before, reason: null, nextAt: null };
  if (!options.force && Date.now() < refreshDueAt(seen.expires_at, seen.obtained_at)) {
    return {
      result: 'not-due',
      state: before,
      reason: null,
      nextAt: refreshDueAt(seen.expires_at, seen.obtained_at),
    };
  }
  try {
    return await withIdentityLock(home, () => refreshLocked(options, env, seen), {
      waitMs: options.lockWaitMs,
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof IdentityError && error.code === 'cancelled') {
      return { result: 'cancelled', state: before, reason: null, nextAt: null };
    }
    // The lock was not had in time: like an unanswered provider, try again later.
    if (error instanceof IdentityError) {
      return { result: 'unreachable', state: before, reason: error.message, nextAt: null };
    }
    // identity.json could not be written (disk full, home removed).
    return failed(before, error);
  }
}

/** The refresh proper, holding the lock: re-read, then refresh only if nobody else did. */
async function refreshLocked(
  options: RefreshOptions,
  env: NodeJS.ProcessEnv,
  seen: TokenSet,
): Promise<RefreshOutcome> {
  const { home, settings } = options;
  const state = readSignInState(home);
  let store: TokenStore | null;
  let current: TokenSet | null;
  try {
    store = storeForState(home, state, env);
    current = store?.read() ?? null;
  } catch (error) {
    return failed(state, error);
  }
  if (!store || !current) return { result: 'signed-out', state, reason: null, nextAt: null };
  if (current.refresh_token !== seen.refresh_token || current.access_token !== seen.access_token) {
    return adopt(home, state, store, current);
  }
  if (!current.refresh_token) {
    const reason =
      'the identity provider issued no refresh token, so the sign-in ends when the access token expires ' +
      '(identity.scopes needs offline_access); run `glassbox login` to sign in again';
    if (Date.now() < current.expires_at) {
      return { result: 'not-due', state, reason: null, nextAt: current.expires_at };
    }
    // Already expired (e.g. refused earlier, which drops the dead refresh token): leave the state as it is.
    if (state.status === 'expired') return { result: 'refused', state, reason: state.reason, nextAt: null };
    return { result: 'refused', state: markExpired(home, state, reason), reason, nextAt: null };
  }
  if (!sameIssuer(current.issuer, settings.issuer) || current.client_id !== settings.clientId) {
    const reason =
      `signed in at ${current.issuer} as client ${current.client_id}, but config.json now names ` +
      `${settings.issuer} and ${settings.clientId}; run \`glassbox login\` to sign in again`;
    return { result: 'refused', state: markExpired(home, state, reason), reason, nextAt: null };
  }

  let next: TokenSet;
  try {
    const config = await discover(settings, { timeoutSeconds: options.timeoutSeconds });
    if (options.signal?.aborted) return { result: 'cancelled', state, reason: null, nextAt: null };
    const response = await client.refreshTokenGrant(config, current.refresh_token);
    next = tokenSetFromResponse(response, settings, current);
  } catch (error) {
    return providerFailure(home, state, store, current, settings.issuer, error);
  }
  // The rotated refresh token first: once the provider answered, the old one is dead.
  try {
    store.write(next);
  } catch (error) {
    return failed(state, error);
  }
  const refreshed = signedInState(next, store);
  writeSignInState(home, refreshed);
  return {
    result: 'refreshed',
    state: refreshed,
    reason: null,
    nextAt: refreshDueAt(next.expires_at, next.obtained_at),
  };
}

/** Another process refreshed (or signed in, or was refused) while this one waited: take what it left. */
function adopt(home: string, state: SignInState, store: TokenStore, current: TokenSet): RefreshOutcome {
  if (state.status === 'expired' && !current.refresh_token) {
    return { result: 'refused', state, reason: state.reason, nextAt: null };
  }
  let adopted = state;
  if (state.status !== 'signed-in' || state.expires_at !== current.expires_at) {
    // The other process stored the tokens but did not get to write the state (it died in between).
    adopted = signedInState(current, store);
    writeSignInState(home, adopted);
  }
  const nextAt = refreshDueAt(current.expires_at, current.obtained_at);
  return { result: 'adopted', state: adopted, reason: null, nextAt };
}

/**
 * A failed refresh request. A refusal (an OAuth error other than a temporary one) ends the sign-in: the dead
 * refresh token is dropped from the store so no process presents it again. Anything else (no answer, a
 * server error) is temporary: signed-in while the access token lasts, expired after.
 */
function providerFailure(
  home: string,
  state: SignInState,
  store: TokenStore,
  current: TokenSet,
  issuer: string,
  error: unknown,
): RefreshOutcome {
  if (error instanceof client.ResponseBodyError && !isTemporary(error)) {
    const described = error.error_description ? `${error.error}: ${error.error_description}` : error.error;
    const reason =
      error.error === 'invalid_grant'
        ? `the identity provider refused the refresh token (${described}); run \`glassbox login\` to sign in again`
        : `the identity provider refused to refresh the sign-in (${described}); run \`glassbox login\` to sign in again`;
    try {
      store.write({ ...current, refresh_token: null });
    } catch {
      // The state below still says expired; the next attempt is refused again by the provider.
    }
    return { result: 'refused', state: markExpired(home, state, reason), reason, nextAt: null };
  }
  if (error instanceof IdentityError && error.code === 'refused') {
    // The provider answered with tokens that cannot be taken (another person, no ID token): the sign-in ends
    // here, and the refresh token just presented is not presented again.
    try {
      store.write({ ...current, refresh_token: null });
    } catch {
      // The state below still says expired.
    }
    return {
      result: 'refused',
      state: markExpired(home, state, error.message),
      reason: error.message,
      nextAt: null,
    };
  }
  const why = unreachableWhy(error);
  if (Date.now() < current.expires_at) {
    return {
      result: 'unreachable',
      state,
      reason: `cannot reach the identity provider at ${issuer} (${why})`,
      nextAt: null,
    };
  }
  const reason =
    `cannot reach the identity provider at ${issuer} (${why}) and the access token has expired; ` +
    'the sign-in resumes when the provider answers';
  // Written once: retries while expired leave the state (and its subscribers) alone.
  const expired = state.status === 'expired' ? state : markExpired(home, state, reason);
  return { result: 'unreachable', state: expired, reason, nextAt: null };
}

/** OAuth errors that say "later" rather than "no" (RFC 6749 §5.2 has none for the token endpoint, but
 * providers send these, and a 5xx is never a verdict on the grant). */
function isTemporary(error: client.ResponseBodyError): boolean {
  return (
    error.status >= 500 || ['temporarily_unavailable', 'server_error', 'slow_down'].includes(error.error)
  );
}

/** A short cause: `ECONNREFUSED`, `timeout`, the provider's status. */
function unreachableWhy(error: unknown): string {
  if (error instanceof IdentityError) {
    return /\(([^()]+)\)/.exec(error.message)?.[1] ?? error.code;
  }
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout';
  if (error instanceof client.ResponseBodyError) return `HTTP ${error.status} ${error.error}`;
  return describeError(error).split('\n')[0] ?? 'unknown error';
}

/** `state` marked expired for `reason` in identity.json (unless it already says so: no change, no event). */
function markExpired(home: string, state: SignInState, reason: string): SignInState {
  if (state.status === 'expired' && state.reason === reason) return state;
  const expired = expiredState(state, reason);
  writeSignInState(home, expired);
  return expired;
}

function failed(state: SignInState, error: unknown): RefreshOutcome {
  return { result: 'failed', state, reason: describeError(error), nextAt: null };
}
