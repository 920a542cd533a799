/**
 * A {@link TokenSet} from a token endpoint response (OpenID Connect Core 1.0 §3.1.3.3): the tokens, the access
 * token's expiry, and the person from the ID token openid-client has validated (issuer, audience, expiry,
 * nonce where sent; the signature is trusted from the TLS connection, as §3.1.3.7 allows).
 */
import type { TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client';
import { IdentityError } from './errors.js';
import { tokenFingerprint } from './fingerprint.js';
import type { IdentitySettings, TokenSet, VerifiedClaims } from './types.js';

/** Access token lifetime assumed when the provider states none (`expires_in` is only RECOMMENDED), s. */
const DEFAULT_EXPIRES_IN_S = 300;

/**
 * Builds the stored form of a token response.
 * @param previous the stored set being refreshed: a refresh response may omit the ID token (OIDC Core §12.2)
 *   and the refresh token (RFC 6749 §6), and then the previous ones stand.
 * @throws IdentityError `refused` when neither the response nor `previous` has an ID token with a subject
 */
export function tokenSetFromResponse(
  response: TokenEndpointResponse & TokenEndpointResponseHelpers,
  settings: Pick<IdentitySettings, 'issuer' | 'clientId' | 'groupsClaim'>,
  previous?: TokenSet,
  now = Date.now(),
): TokenSet {
  const idClaims = response.claims();
  const idToken = response.id_token ?? previous?.id_token ?? null;
  let claims: VerifiedClaims | undefined = previous?.claims;
  if (idClaims && response.id_token) claims = claimsFrom(idClaims, settings.groupsClaim);
  if (!claims || !idToken) {
    throw new IdentityError(
      'refused',
      `The identity provider ${settings.issuer} returned no ID token. Make sure the client ` +
        `${settings.clientId} may use the "openid" scope and that identity.scopes includes it.`,
    );
  }
  return {
    issuer: claims.issuer,
    client_id: settings.clientId,
    access_token: response.access_token,
    refresh_token: response.refresh_token ?? previous?.refresh_token ?? null,
    id_token: idToken,
    expires_at: now + (response.expiresIn() ?? DEFAULT_EXPIRES_IN_S) * 1000,
    obtained_at: now,
    claims,
    token_fingerprint: tokenFingerprint(idToken),
  };
}

/**
 * The person from validated ID token claims; groups from `groupsClaim` (an array of strings, or one string;
 * anything else counts as no groups). `email` and `name` are kept only when they are strings.
 */
export function claimsFrom(claims: Record<string, unknown>, groupsClaim: string): VerifiedClaims {
  const raw = claims[groupsClaim];
  const groups = Array.isArray(raw)
    ? raw.filter((g): g is string => typeof g === 'string')
    : typeof raw === 'string'
      ? [raw]
      : [];
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  return {
    issuer: String(claims.iss),
    subject: String(claims.sub),
    email: text(claims.email),
    name: text(claims.name),
    groups,
  };
}
