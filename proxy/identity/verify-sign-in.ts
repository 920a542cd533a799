/**
 * The engine's check of a stored sign-in before it stamps `verified: true` on sessions. identity.json and the
 * 0600 token file are writable by anyone with the account, so neither is believed: the person comes from the
 * stored ID token, whose signature is checked against the issuer's published keys (JWKS, RFC 7517) and whose
 * `iss`, `aud` and `azp` must name the configured issuer and Glassbox's client (OpenID Connect Core 1.0
 * §3.1.3.7, items 2–6). Forging a verified session then takes a token the provider signed for that person.
 *
 * The ID token's signed `exp` is returned, not enforced here: the engine (component.ts) counts a sign-in as
 * valid until then, or until the access token its own refresh obtained expires (a refresh answer may carry no
 * new ID token, OIDC Core §12.2), so an identity.json edited back to "signed-in" after a refused refresh stops
 * verifying anyone once the last ID token lapses.
 */

import { compactVerify, createRemoteJWKSet, errors as joseErrors } from 'jose';
import type { Configuration } from 'openid-client';
import { describeError } from '../common/errors.js';
import { discover } from './discovery.js';
import { IdentityError } from './errors.js';
import { tokenFingerprint } from './fingerprint.js';
import { profileClaims } from './grant-result.js';
import type { IdentitySettings, TokenSet, VerifiedClaims } from './types.js';

/** A stored sign-in whose ID token verified: who it names, and that token's {@link tokenFingerprint}. */
export interface VerifiedSignIn {
  fingerprint: string;
  claims: VerifiedClaims;
  /** The signed `exp` of the ID token, ms since epoch; null when the token has none. */
  expires_at: number | null;
}

/** Signature algorithms accepted on ID tokens (asymmetric only: a public client holds no shared secret). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * Verifies stored sign-ins for one configured provider, keeping the provider's key set between checks (jose
 * fetches it again for a key id it does not know, at most every 30 s).
 */
export class SignInVerifier {
  private keys: { uri: string; set: ReturnType<typeof createRemoteJWKSet> } | undefined;
  /** The provider's discovery document, fetched once (and again after a check the provider failed). */
  private config: Promise<Configuration> | undefined;

  constructor(
    private readonly settings: Pick<IdentitySettings, 'issuer' | 'clientId' | 'groupsClaim'>,
    /** Longest each request to the provider may take, s. */
    private readonly timeoutSeconds = 10,
  ) {}

  /**
   * The person `tokens` verifiably name.
   * @throws IdentityError `refused` when the ID token is missing, malformed, not signed by the issuer's keys,
   *   or names another issuer or client (the message says what); `unreachable` / `not-an-issuer` when the
   *   provider's discovery document or key set cannot be had (try again later)
   */
  async verify(tokens: TokenSet): Promise<VerifiedSignIn> {
    const idToken = tokens.id_token;
    if (!idToken) throw refused('the token store holds no ID token');
    const config = await this.discovered();
    const metadata = config.serverMetadata();
    if (!metadata.jwks_uri) throw refused(`${metadata.issuer} publishes no signing keys (jwks_uri)`);
    if (this.keys?.uri !== metadata.jwks_uri) {
      const set = createRemoteJWKSet(new URL(metadata.jwks_uri), {
        timeoutDuration: this.timeoutSeconds * 1000,
      });
      this.keys = { uri: metadata.jwks_uri, set };
    }
    let payload: Record<string, unknown>;
    try {
      const verified = await compactVerify(idToken, this.keys.set, { algorithms: ALGORITHMS });
      payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
    } catch (error) {
      if (!isVerdict(error)) {
        throw new IdentityError(
          'unreachable',
          `cannot fetch the signing keys of ${metadata.issuer} (${describeError(error)})`,
        );
      }
      throw refused(`its signature does not match ${metadata.issuer}'s keys (${describeError(error)})`);
    }
    checkClaims(payload, metadata.issuer, this.settings.clientId);
    const claims = await profileClaims(config, payload, tokens.access_token, this.settings);
    const expiresAt =
      typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : null;
    return { fingerprint: tokenFingerprint(idToken), claims, expires_at: expiresAt };
  }

  /** The discovery document, from the first successful discovery; a failed one is tried again next time. */
  private discovered(): Promise<Configuration> {
    const pending = this.config ?? discover(this.settings, { timeoutSeconds: this.timeoutSeconds });
    this.config = pending;
    pending.catch(() => {
      if (this.config === pending) this.config = undefined;
    });
    return pending;
  }
}

/**
 * True for jose's verdicts on the token itself (a bad signature, no key for its `kid`, a malformed token, an
 * algorithm not allowed); anything else (no answer, a timeout, a key set the provider could not serve) is the
 * provider's trouble, tried again later.
 */
function isVerdict(error: unknown): boolean {
  return (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys ||
    error instanceof joseErrors.JWSInvalid ||
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JOSENotSupported
  );
}

/** OIDC Core §3.1.3.7 items 2–5: `iss` is the issuer, `aud` has the client, `azp` (if any) is the client. */
function checkClaims(payload: Record<string, unknown>, issuer: string, clientId: string): void {
  if (payload.iss !== issuer) throw refused(`it was issued by ${String(payload.iss)}, not ${issuer}`);
  const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audience.includes(clientId)) throw refused(`it was issued to another client, not ${clientId}`);
  if (payload.azp !== undefined && payload.azp !== clientId) {
    throw refused(`it was issued to another client (azp), not ${clientId}`);
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw refused('it names no subject');
}

function refused(why: string): IdentityError {
  return new IdentityError(
    'refused',
    `the stored sign-in does not verify: ${why}; sessions are recorded unverified. Run \`glassbox login\` ` +
      'to sign in again.',
  );
}

/** True for a failure that may pass (the provider did not answer), as opposed to a token that is wrong. */
export function isTemporaryVerifyFailure(error: unknown): boolean {
  return error instanceof IdentityError && (error.code === 'unreachable' || error.code === 'not-an-issuer');
}
