/**
 * OIDC discovery: the provider's metadata from `<issuer>/.well-known/openid-configuration`
 * (OpenID Connect Discovery 1.0 §4), as openid-client v6's `Configuration` for a public client (no secret,
 * `token_endpoint_auth_method: none`), with errors that say what failed.
 */
import * as client from 'openid-client';
import { describeError } from '../common/errors.js';
import { IdentityError } from './errors.js';
import { isLoopbackHttpIssuer } from './settings.js';
import type { IdentitySettings } from './types.js';

/** Options of {@link discover}. */
export interface DiscoverOptions {
  /** Longest each request to the provider may take, s. Default 15 (openid-client's 30 is long for a CLI). */
  timeoutSeconds?: number;
}

/**
 * Discovers the provider named by `settings.issuer`.
 * An `http://` issuer is allowed only on loopback (settings.ts checks); openid-client then needs
 * `allowInsecureRequests` for every request it makes, which the returned configuration carries.
 * @throws IdentityError `unreachable` (connection refused, DNS, timeout), `not-an-issuer` (no valid discovery
 *   document, or its `issuer` differs from the configured one)
 */
export async function discover(
  settings: Pick<IdentitySettings, 'issuer' | 'clientId'>,
  options: DiscoverOptions = {},
): Promise<client.Configuration> {
  const { issuer, clientId } = settings;
  const execute = isLoopbackHttpIssuer(issuer) ? [client.allowInsecureRequests] : [];
  try {
    const config = await client.discovery(new URL(issuer), clientId, undefined, client.None(), {
      execute,
      timeout: options.timeoutSeconds ?? 15,
    });
    return config;
  } catch (error) {
    throw discoveryError(issuer, error);
  }
}

/**
 * The device authorization endpoint of a discovered provider (RFC 8628 §4).
 * @throws IdentityError `no-device-endpoint` when the provider advertises none
 */
export function deviceEndpoint(config: client.Configuration): string {
  const endpoint = config.serverMetadata().device_authorization_endpoint;
  if (!endpoint) {
    throw new IdentityError(
      'no-device-endpoint',
      `The identity provider ${config.serverMetadata().issuer} has no device authorization endpoint ` +
        '(RFC 8628), so sign-in without a browser is not possible. Run `glassbox login` where a browser can ' +
        'open, or ask the provider administrator to enable the device flow for this client.',
    );
  }
  return endpoint;
}

/** Turns what openid-client throws during discovery into an IdentityError naming the failure. */
function discoveryError(issuer: string, error: unknown): IdentityError {
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: unknown }).cause;
  const where = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  // openid-client's own `timeout` ends a request with code OAUTH_TIMEOUT: no answer, not a wrong answer.
  const timedOut = code === 'OAUTH_TIMEOUT' || (error instanceof Error && error.name === 'TimeoutError');
  if (error instanceof TypeError || timedOut) {
    const causeCode = (cause as { code?: unknown } | undefined)?.code;
    const why = timedOut
      ? 'timeout'
      : typeof causeCode === 'string'
        ? causeCode
        : describeError(cause ?? error);
    return new IdentityError(
      'unreachable',
      `Cannot reach the identity provider at ${issuer} (${why}). Check identity.issuer in config.json and ` +
        'your network, then try again.',
    );
  }
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    const stated = (cause as { body?: { issuer?: unknown } } | undefined)?.body?.issuer;
    const fix =
      typeof stated === 'string'
        ? `Set identity.issuer in config.json to "${stated}", exactly as that document states it.`
        : 'Set identity.issuer in config.json to exactly the "issuer" value of that document.';
    return new IdentityError('not-an-issuer', `${where} names a different issuer than ${issuer}. ${fix}`);
  }
  const why =
    cause instanceof Response ? `${describeError(error)}: HTTP ${cause.status}` : describeError(error);
  return new IdentityError(
    'not-an-issuer',
    `${issuer} is not an OpenID Connect issuer: ${where} did not answer with a valid discovery document ` +
      `(${why}). Check identity.issuer in config.json.`,
  );
}
