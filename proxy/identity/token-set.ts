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
 * Most groups kept from the groups claim, and the longest group name kept (characters): the groups go into
 * every session's identity, so a provider sending thousands (Entra's group overage, a misconfigured mapper)
 * must not fill the recordings. Names longer than this are dropped, not cut (a cut name is another group).
 */
export const MAX_GROUPS = 256;
const MAX_GROUP_LENGTH = 256;

/**
 * Builds the stored form of a token response.
 * @param previous the stored set being refreshed: a refresh response may omit the ID token (OIDC Core §12.2)
 *   and the refresh token (RFC 6749 §6), and then the previous ones stand.
 * @throws IdentityError `refused` when neither the response nor `previous` has an ID token with a subject, or
 *   when a refreshed ID token names another issuer or subject than `previous`
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
  // A refreshed ID token must name the person the sign-in did (OpenID Connect Core 1.0 §12.2: same iss, sub).
  if (
    previous &&
    claims &&
    (claims.issuer !== previous.claims.issuer || claims.subject !== previous.claims.subject)
  ) {
    throw new IdentityError(
      'refused',
      `The identity provider's refreshed ID token names another person (${claims.subject} at ${claims.issuer}, ` +
        `not ${previous.claims.subject}): run \`glassbox login\` to sign in again.`,
    );
  }
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
 * anything else counts as no groups; at most {@link MAX_GROUPS}, each at most 256 characters). `email` and `name` are kept only when they are strings.
 */
export function claimsFrom(claims: Record<string, unknown>, groupsClaim: string): VerifiedClaims {
  const raw = claims[groupsClaim];
  const listed = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  const groups = listed
    .filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= MAX_GROUP_LENGTH)
    .slice(0, MAX_GROUPS);
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  return {
    issuer: String(claims.iss),
    subject: String(claims.sub),
    email: text(claims.email),
    name: text(claims.name),
    groups,
  };
}
