/**
 * Bearer token verification: a JWT signed by the configured issuer's keys (JWKS from its discovery document,
 * cached and re-fetched on an unknown `kid` by jose), with the exact issuer, the configured audience, an
 * unexpired `exp`, and an asymmetric algorithm (no `none`, no HMAC: RFC 8725 §2.1, §3.1).
 * Access tokens are RFC 9068 JWTs; with `token: id_token` (providers whose access tokens are opaque) an
 * OIDC ID token whose `aud` is the client id is accepted instead.
 */
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import type { Principal } from './principal.js';

/** Why a token was refused; `message` is safe to send back (never echoes the token). */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    message: string,
    readonly code: 'missing' | 'invalid' | 'expired' | 'audience' | 'issuer' | 'keys_unavailable',
  ) {
    super(message);
  }
}

/** What {@link TokenVerifier} checks. */
export interface VerifierSettings {
  issuer: string;
  audience: string;
  groupsClaim: string;
  token: 'access_token' | 'id_token';
}

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const MAX_GROUPS = 256;

/** Verifies bearer tokens for one issuer. Discovery happens on first use and is retried after a failure. */
export class TokenVerifier {
  private keys: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    private readonly settings: VerifierSettings,
    private readonly fetchJson: (url: string) => Promise<unknown> = defaultFetchJson,
  ) {}

  /**
   * Verifies `authorization` (the header's value, `Bearer <jwt>`).
   * @returns the verified principal
   * @throws AuthError (missing, invalid, expired, audience, issuer, keys_unavailable)
   */
  async verify(authorization: string | undefined): Promise<Principal> {
    const token = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization ?? '')?.[1];
    if (!token)
      throw new AuthError('send Authorization: Bearer <access token> (run `glassbox login`)', 'missing');
    return this.verifyToken(token);
  }

  /** Verifies a bare JWT (e.g. from the dashboard's session cookie). @throws AuthError */
  async verifyToken(token: string): Promise<Principal> {
    const keys = await this.jwks();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: 5,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw refusal(error);
    }
    return principalOf(payload, this.settings.groupsClaim);
  }

  private async jwks(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.keys) return this.keys;
    let document: unknown;
    try {
      document = await this.fetchJson(`${this.settings.issuer}/.well-known/openid-configuration`);
    } catch (error) {
      throw new AuthError(
        `the sign-in provider ${this.settings.issuer} cannot be reached to verify tokens: ${String((error as Error).message ?? error)}`,
        'keys_unavailable',
      );
    }
    const jwksUri = (document as { jwks_uri?: unknown } | null)?.jwks_uri;
    if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri))
      throw new AuthError(
        `${this.settings.issuer} publishes no jwks_uri in its discovery document`,
        'keys_unavailable',
      );
    this.keys = createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: 30_000, timeoutDuration: 5_000 });
    return this.keys;
  }
}

function refusal(error: unknown): AuthError {
  if (error instanceof joseErrors.JWTExpired)
    return new AuthError('the token has expired: sign in again', 'expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud')
      return new AuthError('the token is not for this server (audience)', 'audience');
    if (error.claim === 'iss') return new AuthError('the token is from another issuer', 'issuer');
    return new AuthError(`the token's "${error.claim}" claim is not valid`, 'invalid');
  }
  // A timeout, or no JOSE error at all (the JWKS fetch failed), is the provider's fault, not the token's.
  if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError))
    return new AuthError("the sign-in provider's keys cannot be fetched", 'keys_unavailable');
  return new AuthError('the token is not valid', 'invalid');
}

function principalOf(payload: JWTPayload, groupsClaim: string): Principal {
  const raw = payload[groupsClaim];
  const groups = Array.isArray(raw)
    ? raw.filter((g): g is string => typeof g === 'string' && g.length <= 256).slice(0, MAX_GROUPS)
    : [];
  const text = (value: unknown) => (typeof value === 'string' && value.length <= 512 ? value : null);
  return {
    issuer: payload.iss!,
    subject: payload.sub!,
    email: text(payload.email),
    name: text(payload.name),
    groups,
    expiresAt: payload.exp!,
  };
}

async function defaultFetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
  return response.json();
}
