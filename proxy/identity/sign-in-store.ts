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
import type { TokenSet, TokenStore, VerifiedClaims } from './types.js';

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

/** How a sign-out went at the provider. */
export interface SignOutOutcome {
  /**
   * `revoked`: the provider accepted the revocation (RFC 7009 §2.2); `unsupported`: it advertises no
   * `revocation_endpoint`; `failed`: revoking failed or the tokens could not be read here (see `detail`);
   * `nothing`: no tokens were stored.
   */
  revocation: 'revoked' | 'unsupported' | 'failed' | 'nothing';
  /** Why revocation failed, for people; else null. */
  detail: string | null;
  /** The issuer the tokens came from; null when there were none. */
  issuer: string | null;
  /** Who was signed in; null when nobody was. */
  claims: VerifiedClaims | null;
}

/**
 * Signs the home out: revokes the refresh token (else the access token) at the provider that issued it, where
 * it advertises a revocation endpoint (RFC 7009, with `token_type_hint`), then forgets the tokens even when
 * revocation failed, and writes a signed-out identity.json. Tokens this process cannot read (sealed by the
 * desktop app) are removed unread. Never throws for the provider's or the store's failures (they are in the
 * outcome), since forgetting locally must always happen.
 * @throws IdentityError `store` when the lock cannot be had or identity.json cannot be written
 */
export async function signOut(home: string, env: NodeJS.ProcessEnv): Promise<SignOutOutcome> {
  return withIdentityLock(home, async () => {
    const state = readSignInState(home);
    let tokens: TokenSet | null = null;
    let detail: string | null = null;
    try {
      tokens = storeForState(home, state, env)?.read() ?? null;
    } catch (error) {
      detail = describeError(error);
    }
    let revocation: SignOutOutcome['revocation'] = tokens || detail ? 'failed' : 'nothing';
    if (tokens) {
      try {
        revocation = await revoke(tokens);
      } catch (error) {
        detail = describeError(error).split('\n')[0] ?? 'revocation failed';
      }
    }
    if (state.store) forgetStored(home, state.store.kind, env);
    writeSignInState(home, signedOutState());
    return {
      revocation,
      detail,
      issuer: tokens?.issuer ?? state.claims?.issuer ?? null,
      claims: tokens?.claims ?? state.claims ?? null,
    };
  });
}

/** Revokes the longest-lived token of `tokens` at the issuer that issued them. */
async function revoke(tokens: TokenSet): Promise<'revoked' | 'unsupported'> {
  const config = await discover({ issuer: tokens.issuer, clientId: tokens.client_id });
  if (!config.serverMetadata().revocation_endpoint) return 'unsupported';
  const [token, hint] = tokens.refresh_token
    ? [tokens.refresh_token, 'refresh_token']
    : [tokens.access_token, 'access_token'];
  await client.tokenRevocation(config, token, { token_type_hint: hint });
  return 'revoked';
}

/** Forgets what a store of `kind` holds, best effort; a sealed file is removed even without its key. */
function forgetStored(home: string, kind: TokenStore['kind'], env: NodeJS.ProcessEnv): void {
  try {
    openTokenStore(home, { env, kind }).clear();
  } catch {
    rmSync(tokenFiles(home)[kind], { force: true });
  }
}
