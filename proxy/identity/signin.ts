/**
 * What `glassbox login`/`logout` and the engine's control API (control.ts) say about a sign-in, and the
 * settings check both start with. Storing and forgetting a sign-in live in sign-in-store.ts (under the lock).
 */
import { homePaths } from '../config.js';
import { IdentityError } from './errors.js';
import type { SignOutOutcome } from './sign-in-store.js';
import type { IdentitySettings, TokenSet, TokenStore, VerifiedClaims } from './types.js';

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
