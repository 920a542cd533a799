import { UserError } from '../common/errors.js';

/** What went wrong with sign-in, for callers that react differently (e.g. `unreachable` → retry later). */
export type IdentityErrorCode =
  | 'not-configured'
  | 'unreachable'
  | 'not-an-issuer'
  | 'no-device-endpoint'
  | 'refused'
  | 'timeout'
  | 'cancelled'
  | 'store';

/**
 * A sign-in failure a person can act on: the message says what failed and what to do. A UserError, so the
 * CLI prints it without a stack (exit code 2).
 */
export class IdentityError extends UserError {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}
