/**
 * What both sign-in grants share once the provider has answered: the request parameters that name the scopes
 * and the audience, the {@link TokenSet} with the person's claims (from the ID token, else the userinfo
 * endpoint), and the translation of the provider's grant errors into {@link IdentityError}s.
 */
import * as client from 'openid-client';
import { describeError } from '../common/errors.js';
import { IdentityError } from './errors.js';
import { claimsFrom, tokenSetFromResponse } from './token-set.js';
import type { IdentitySettings, TokenSet, VerifiedClaims } from './types.js';

/**
 * Parameters every authorization request carries besides the grant's own: `scope`, and where
 * `settings.audience` is set both `audience` (Auth0 and others) and, when it is an absolute URI, `resource`
 * (RFC 8707 §2). Unknown parameters are ignored by providers (RFC 6749 §3.1).
 */
export function audienceParameters(
  settings: Pick<IdentitySettings, 'scopes' | 'audience'>,
): Record<string, string> {
  const parameters: Record<string, string> = { scope: settings.scopes.join(' ') };
  if (settings.audience) {
    parameters.audience = settings.audience;
    if (URL.canParse(settings.audience)) parameters.resource = settings.audience;
  }
  return parameters;
}

/**
 * The stored form of a successful grant. When the ID token lacks email, name or the groups claim (providers
 * that keep them to the userinfo endpoint, as OpenID Connect Core 1.0 §5.4 allows for the code flow), they are
 * filled from `fetchUserInfo`, whose `sub` openid-client checks against the ID token's (§5.3.4). A userinfo
 * failure keeps what the ID token says.
 * @throws IdentityError `refused` when the response has no ID token (tokenSetFromResponse)
 */
export async function tokenSetWithProfile(
  config: client.Configuration,
  response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  settings: Pick<IdentitySettings, 'issuer' | 'clientId' | 'groupsClaim'>,
): Promise<TokenSet> {
  const tokens = tokenSetFromResponse(response, settings);
  const idClaims: Record<string, unknown> = response.claims() ?? {};
  return { ...tokens, claims: await profileClaims(config, idClaims, tokens.access_token, settings) };
}

/**
 * The person from validated ID token claims (`idClaims`), with email, name and the groups claim filled from
 * the userinfo endpoint when the ID token lacks them (OpenID Connect Core 1.0 §5.4; openid-client checks the
 * userinfo `sub` against the ID token's, §5.3.4). Claims the ID token carries win. A userinfo failure (no
 * endpoint, an expired access token, no answer) keeps what the ID token says. Shared by the sign-in grants and
 * the engine's check of a stored sign-in (verify-sign-in.ts).
 */
export async function profileClaims(
  config: client.Configuration,
  idClaims: Record<string, unknown>,
  accessToken: string,
  settings: Pick<IdentitySettings, 'groupsClaim'>,
): Promise<VerifiedClaims> {
  const claims = claimsFrom(idClaims, settings.groupsClaim);
  const missing = ['email', 'name', settings.groupsClaim].some((claim) => !(claim in idClaims));
  if (!missing || !config.serverMetadata().userinfo_endpoint) return claims;
  let info: client.UserInfoResponse;
  try {
    info = await client.fetchUserInfo(config, accessToken, claims.subject);
  } catch {
    return claims;
  }
  const merged = claimsFrom(
    { ...info, ...idClaims, iss: idClaims.iss, sub: idClaims.sub },
    settings.groupsClaim,
  );
  return {
    ...claims,
    email: claims.email ?? merged.email,
    name: claims.name ?? merged.name,
    groups: settings.groupsClaim in idClaims ? claims.groups : merged.groups,
  };
}

/**
 * An IdentityError for an OAuth error code the provider answered with (RFC 6749 §4.1.2.1 and §5.2; RFC 8628
 * §3.5 adds `access_denied` and `expired_token` for the device grant). The message keeps the provider's code
 * and description and says what to do.
 */
export function providerError(issuer: string, code: string, description?: string | null): IdentityError {
  const detail = description ? `: ${description}` : '';
  switch (code) {
    case 'access_denied':
      return new IdentityError(
        'refused',
        `The sign-in was denied at ${issuer} (access_denied${detail}). Run \`glassbox login\` again and approve ` +
          'the request, or ask the provider administrator whether you may use Glassbox.',
      );
    case 'expired_token':
      return new IdentityError(
        'timeout',
        `The code expired before the sign-in was completed (expired_token${detail}). Run \`glassbox login\` ` +
          'again and finish it on the verification page in time.',
      );
    default:
      return new IdentityError(
        'refused',
        `The identity provider ${issuer} refused the sign-in (${code}${detail}). Check identity.clientId ` +
          'and identity.scopes in config.json, or ask the provider administrator.',
      );
  }
}

/**
 * An IdentityError for what openid-client threw during a grant: the provider's error answer
 * ({@link providerError}), a lost connection (`unreachable`), anything else (`refused`, with its message).
 */
export function grantError(issuer: string, error: unknown): IdentityError {
  if (error instanceof IdentityError) return error;
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
    return providerError(issuer, error.error, error.error_description);
  }
  if (error instanceof TypeError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return new IdentityError(
      'unreachable',
      `Lost contact with the identity provider ${issuer} during the sign-in (${typeof code === 'string' ? code : describeError(error)}). Try again.`,
    );
  }
  return new IdentityError('refused', `The sign-in at ${issuer} failed: ${describeError(error)}`);
}
