/**
 * Storing a new sign-in and forgetting one, under the home's identity lock like a refresh (refresh.ts): a
 * `glassbox login` that wrote its tokens while another process was refreshing would otherwise be overwritten
 * by that refresh's rotated tokens of the old sign-in, and a logout could be undone the same way.
 */
import { rmSync } from 'node:fs';
import * as client from 'openid-client';
import { describeError } from '../common/errors.js';
import { discover } from './discovery.js';
import { withIdentityLock } from './identity-lock.js';
import { readSignInState, signedInState, signedOutState, writeSignInState } from './sign-in-state.js';
import { openTokenStore, storeForState, tokenFiles } from './token-store.js';
import type { IdentitySettings, TokenSet, TokenStore } from './types.js';

/**
 * Stores the tokens of a completed sign-in in the store chosen for `env` ({@link openTokenStore}), forgets
 * what a previous sign-in left in another store, and writes identity.json. Returns the store: print its
 * `warning` (no keychain) once.
 * @throws IdentityError `store` when the store cannot be opened or written, or the lock cannot be had
 */
export async function saveSignIn(
  home: string,
  tokens: TokenSet,
  env: NodeJS.ProcessEnv,
): Promise<TokenStore> {
  return withIdentityLock(home, async () => {
    const previous = readSignInState(home);
    const store = openTokenStore(home, { env });
    store.write(tokens);
    if (previous.store && previous.store.kind !== store.kind) forgetStored(home, previous.store.kind, env);
    writeSignInState(home, signedInState(tokens, store));
    return store;
  });
}

/** What {@link signOut} did about the refresh token at the provider. */
export interface SignOutResult {
  /** True when the provider accepted the revocation of the refresh token (RFC 7009). */
  revoked: boolean;
  /** Why it was not revoked (no refresh token, no revocation endpoint, unreachable, tokens not readable here). */
  note: string | null;
}

/**
 * Signs the home out: revokes the refresh token where the provider supports revocation (RFC 7009, with
 * `token_type_hint=refresh_token`), then forgets the tokens even when revocation failed, and writes a
 * signed-out identity.json. Tokens this process cannot read (sealed by the desktop app) are removed unread.
 * @param settings config.json's `identity` section, for the provider; undefined skips revocation
 * @throws IdentityError `store` when the lock cannot be had or identity.json cannot be written
 */
export async function signOut(
  home: string,
  settings: Pick<IdentitySettings, 'issuer' | 'clientId'> | undefined,
  env: NodeJS.ProcessEnv,
): Promise<SignOutResult> {
  return withIdentityLock(home, async () => {
    const state = readSignInState(home);
    let result: SignOutResult = { revoked: false, note: null };
    let tokens: TokenSet | null = null;
    try {
      tokens = storeForState(home, state, env)?.read() ?? null;
    } catch (error) {
      result = { revoked: false, note: describeError(error) };
    }
    if (tokens?.refresh_token && settings) {
      result = await revoke(settings, tokens.refresh_token);
    } else if (tokens && !tokens.refresh_token) {
      result = { revoked: false, note: 'no refresh token to revoke' };
    }
    if (state.store) forgetStored(home, state.store.kind, env);
    writeSignInState(home, signedOutState());
    return result;
  });
}

async function revoke(
  settings: Pick<IdentitySettings, 'issuer' | 'clientId'>,
  refreshToken: string,
): Promise<SignOutResult> {
  try {
    const config = await discover(settings);
    if (!config.serverMetadata().revocation_endpoint) {
      return { revoked: false, note: `${settings.issuer} has no revocation endpoint` };
    }
    await client.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
    return { revoked: true, note: null };
  } catch (error) {
    return { revoked: false, note: describeError(error).split('\n')[0] ?? 'revocation failed' };
  }
}

/** Forgets what a store of `kind` holds, best effort; a sealed file is removed even without its key. */
function forgetStored(home: string, kind: TokenStore['kind'], env: NodeJS.ProcessEnv): void {
  try {
    openTokenStore(home, { env, kind }).clear();
  } catch {
    rmSync(tokenFiles(home)[kind], { force: true });
  }
}
