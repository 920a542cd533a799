/**
 * The ends of a sign-in shared by `glassbox login`/`logout` and the engine's control API (control.ts): storing
 * a completed sign-in (tokens in the {@link TokenStore}, the non-secret state in identity.json, which the
 * running engine watches), signing out (revocation, then forgetting), and the sentences people read.
 */
import * as client from 'openid-client';
import { describeError } from '../common/errors.js';
import { homePaths } from '../config.js';
import { discover } from './discovery.js';
import { IdentityError } from './errors.js';
import { signedInState, signedOutState, writeSignInState } from './sign-in-state.js';
import type { IdentitySettings, SignInState, TokenSet, TokenStore, VerifiedClaims } from './types.js';

/**
 * Stores a completed sign-in: the tokens in `store`, then identity.json (signed in). In this order, so a
 * process that sees the new state finds the tokens.
 * @returns the state written
 * @throws what `store.write` throws (an unusable store; its message says what to do)
 */
export function saveSignIn(home: string, tokens: TokenSet, store: TokenStore): SignInState {
  store.write(tokens);
  const state = signedInState(tokens, store);
  writeSignInState(home, state);
  return state;
}

/** How a sign-out went at the provider. */
export interface SignOutOutcome {
  /**
   * `revoked`: the provider accepted the revocation (RFC 7009 §2.2); `unsupported`: it advertises no
   * `revocation_endpoint`; `failed`: revoking failed (see `detail`); `nothing`: no tokens were stored.
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
 * Signs `home` out: revokes the refresh token (else the access token) at the provider that issued it, where it
 * advertises a revocation endpoint (RFC 7009), then forgets the tokens and writes identity.json (signed out)
 * whatever the revocation did. Never throws for the provider's or the store's failures: they are in the
 * outcome (`detail`), since forgetting locally must always happen.
 */
export async function signOut(home: string, store: TokenStore): Promise<SignOutOutcome> {
  let tokens: TokenSet | null = null;
  let detail: string | null = null;
  try {
    tokens = store.read();
  } catch (error) {
    detail = `the token store could not be read: ${describeError(error)}`;
  }
  let revocation: SignOutOutcome['revocation'] = tokens || detail ? 'failed' : 'nothing';
  if (tokens) {
    try {
      revocation = await revoke(tokens);
    } catch (error) {
      detail = error instanceof IdentityError ? error.message : describeError(error);
    }
  }
  store.clear();
  writeSignInState(home, signedOutState());
  return { revocation, detail, issuer: tokens?.issuer ?? null, claims: tokens?.claims ?? null };
}

/** Revokes the longest-lived token of `tokens` at its issuer. */
async function revoke(tokens: TokenSet): Promise<'revoked' | 'unsupported'> {
  const config = await discover({ issuer: tokens.issuer, clientId: tokens.client_id });
  if (!config.serverMetadata().revocation_endpoint) return 'unsupported';
  const [token, hint] = tokens.refresh_token
    ? [tokens.refresh_token, 'refresh_token']
    : [tokens.access_token, 'access_token'];
  await client.tokenRevocation(config, token, { token_type_hint: hint });
  return 'revoked';
}

/** The sentence a sign-out ends with (what happened at the provider, and that the tokens are gone here). */
export function signOutLine(outcome: SignOutOutcome): string {
  const who = outcome.claims ? ` ${personText(outcome.claims)}` : '';
  switch (outcome.revocation) {
    case 'nothing':
      return 'Not signed in: there were no tokens to forget.';
    case 'revoked':
      return `Signed out${who}: the refresh token was revoked at ${outcome.issuer} and the tokens were forgotten.`;
    case 'unsupported':
      return (
        `Signed out${who}: the tokens were forgotten. ${outcome.issuer} does not offer token revocation, so ` +
        'the tokens it issued stay valid until they expire.'
      );
    case 'failed':
      return (
        `Signed out${who}: the tokens were forgotten, but revoking them at ${outcome.issuer ?? 'the provider'} ` +
        `failed (${outcome.detail}), so they stay valid there until they expire.`
      );
  }
}

/** "Alice Example <alice@example.test>", or whichever of name, email and subject the claims have. */
export function personText(claims: VerifiedClaims): string {
  if (claims.name && claims.email) return `${claims.name} <${claims.email}>`;
  return claims.name ?? claims.email ?? claims.subject;
}

/** "(groups: engineering, auditors)" or "(no groups)". */
export function groupsText(groups: readonly string[]): string {
  return groups.length ? `(groups: ${groups.join(', ')})` : '(no groups)';
}

/** The line `glassbox login` ends with: who, their groups, the issuer and where the tokens are. */
export function signedInLine(tokens: TokenSet, store: Pick<TokenStore, 'where'>): string {
  return (
    `Signed in as ${personText(tokens.claims)} ${groupsText(tokens.claims.groups)} via ${tokens.issuer}; ` +
    `tokens in ${store.where}`
  );
}

/**
 * The `identity` section, or the error that shows the config.json snippet to add.
 * @throws IdentityError `not-configured`
 */
export function requireIdentitySettings(
  home: string,
  settings: IdentitySettings | undefined,
): IdentitySettings {
  if (settings) return settings;
  throw new IdentityError(
    'not-configured',
    `sign-in is not configured: ${homePaths(home).config} has no "identity" section. Add one with your ` +
      "provider's issuer and the client id it registered for Glassbox (a public client allowing the " +
      'redirect http://127.0.0.1/callback on any port, and the device grant), for example:\n\n' +
      '  "identity": {\n' +
      '    "issuer": "https://login.example.com/realms/engineering",\n' +
      '    "clientId": "glassbox"\n' +
      '  }\n\n' +
      'then run `glassbox login` again. Optional keys: "scopes" (default ["openid", "email", "profile", ' +
      '"offline_access"]), "groupsClaim" (default "groups"), "audience", "required".',
  );
}
