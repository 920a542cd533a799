/**
 * The device sign-in: the OAuth 2.0 Device Authorization Grant (RFC 8628), for where no browser can open here
 * (no display, an SSH session, CI). The person opens the verification URL on any device and enters the user
 * code; Glassbox polls the token endpoint as the provider asks: every `interval` seconds (5 when absent,
 * §3.5), 5 s more after each `slow_down`, until the code's `expires_in` (openid-client's
 * `pollDeviceAuthorizationGrant` does both).
 */
import * as client from 'openid-client';
import { deviceEndpoint } from './discovery.js';
import { IdentityError } from './errors.js';
import { audienceParameters, grantError, tokenSetWithProfile } from './grant-result.js';
import type { IdentitySettings, TokenSet } from './types.js';

/** A device sign-in under way: what to show the person, and the polling's outcome. */
export interface PendingDeviceSignIn {
  /** Where to enter the code (RFC 8628 §3.2 `verification_uri`). */
  verificationUri: string;
  /** The same with the code filled in, when the provider gives one (`verification_uri_complete`). */
  verificationUriComplete: string | null;
  /** The code to enter there (`user_code`). */
  userCode: string;
  /** How long the code stays valid, s (`expires_in`). */
  expiresIn: number;
  /** The polling interval the provider asked for, s (5 when it named none). */
  interval: number;
  /**
   * The tokens once the person has approved (not yet stored).
   * @throws IdentityError `refused` (access_denied, other errors), `timeout` (expired_token, `expires_in`
   *   passed, or the caller's timeout), `cancelled`, `unreachable`
   */
  result: Promise<TokenSet>;
  /** Stops polling; `result` rejects with `cancelled`. */
  cancel(): void;
}

/** Options of {@link startDeviceSignIn}. */
export interface DeviceSignInOptions {
  /** Stop waiting after this long even if the code is still valid, ms. Default: the code's `expires_in`. */
  timeoutMs?: number;
}

/**
 * Asks the provider for a device code (RFC 8628 §3.1, with the scopes and `audience`/`resource`) and starts
 * polling for the tokens.
 * @throws IdentityError `no-device-endpoint` when the provider has no device endpoint, `refused` when it
 *   refuses the request (e.g. `unauthorized_client`: the client may not use the device grant), `unreachable`
 */
export async function startDeviceSignIn(
  config: client.Configuration,
  settings: IdentitySettings,
  options: DeviceSignInOptions = {},
): Promise<PendingDeviceSignIn> {
  deviceEndpoint(config);
  const issuer = config.serverMetadata().issuer;
  let authorization: client.DeviceAuthorizationResponse;
  try {
    authorization = await client.initiateDeviceAuthorization(config, audienceParameters(settings));
  } catch (error) {
    throw grantError(issuer, error);
  }
  const expiresInMs = authorization.expires_in * 1000;
  const waitMs = Math.min(options.timeoutMs ?? expiresInMs, expiresInMs);
  const stop = new AbortController();
  // The polling ends at the code's expiry (RFC 8628 §3.5) or earlier on the caller's timeout or cancel.
  const timer = setTimeout(
    () =>
      stop.abort(
        new IdentityError(
          'timeout',
          `Nobody completed the sign-in at ${authorization.verification_uri} within ` +
            `${Math.round(waitMs / 1000)} s, so the code is no longer used. Run \`glassbox login --device\` again.`,
        ),
      ),
    waitMs,
  );
  const aborted = new Promise<never>((_resolve, reject) => {
    stop.signal.addEventListener('abort', () => reject(stop.signal.reason), { once: true });
  });
  const poll = async (): Promise<TokenSet> => {
    const response = await client.pollDeviceAuthorizationGrant(config, authorization, undefined, {
      signal: stop.signal,
    });
    return tokenSetWithProfile(config, response, settings);
  };
  // The poll notices an abort only at its next wait step (up to 5 s); the race settles at once.
  const polling = poll();
  polling.catch(() => undefined);
  const result = Promise.race([polling, aborted])
    .catch((error: unknown) => {
      throw stop.signal.aborted && stop.signal.reason instanceof IdentityError
        ? stop.signal.reason
        : grantError(issuer, error);
    })
    .finally(() => {
      clearTimeout(timer);
      if (!stop.signal.aborted) stop.abort(new IdentityError('cancelled', 'The sign-in ended.'));
    });
  result.catch(() => undefined);
  return {
    verificationUri: authorization.verification_uri,
    verificationUriComplete: authorization.verification_uri_complete ?? null,
    userCode: authorization.user_code,
    expiresIn: authorization.expires_in,
    interval: authorization.interval ?? 5,
    result,
    cancel: () => stop.abort(new IdentityError('cancelled', 'The sign-in was cancelled.')),
  };
}
