/**
 * The built-in default policy (issue 16, point 8), as plain data: what applies where `policy.json` is absent
 * or leaves a field out. Every built-in secret detector is on with `redact`; personal-data detectors are on,
 * with `partial` (last 4 kept) for payment cards and phone numbers and `redact` for the rest; the sensitive
 * column dictionary below is masked in storage (not on the wire); nothing is masked outbound.
 */
import type { Detector, MaskAction } from './masking/types.js';

/** Characters `partial` keeps when a policy says `"partial"` without `keep`. */
export const DEFAULT_PARTIAL_KEEP = 4;

/**
 * Column names treated as sensitive when no rule says otherwise, in snake_case words. A column matches an
 * entry when the entry's words are the last words of its name (see column-rules.ts `columnWords`):
 * `email` matches `email`, `billing_email` and `customerEmail`, but not `emails_sent_count` or
 * `email_verified`; `token` matches `access_token` but not `token_count`.
 */
export const DEFAULT_SENSITIVE_COLUMNS: readonly string[] = [
  'email',
  'email_address',
  'phone',
  'phone_number',
  'mobile_number',
  'ssn',
  'social_security_number',
  'tax_id',
  'passport_number',
  'date_of_birth',
  'password',
  'passwd',
  'password_hash',
  'card_number',
  'cc_number',
  'cvv',
  'cvc',
  'iban',
  'api_key',
  'apikey',
  'secret',
  'secret_key',
  'private_key',
  'access_key',
  'token',
];

/** The detectors outbound masking covers when a policy turns it on without naming any: every secret. */
export const DEFAULT_OUTBOUND_DETECTORS: readonly string[] = ['secret.*'];

/**
 * Personal-data detectors that get `partial` by default: payment cards and phone numbers, whose last digits
 * people use to tell values apart. Recognised by the detector's id (`pii.payment_card`, `pii.phone`, …).
 */
const PARTIAL_BY_DEFAULT = /^pii\.[a-z0-9_]*(card|phone)/;

/** A detector's action under the default policy: see the module comment. */
export function defaultAction(detector: Pick<Detector, 'id' | 'category'>): MaskAction {
  if (detector.category === 'pii' && PARTIAL_BY_DEFAULT.test(detector.id))
    return { type: 'partial', keep: DEFAULT_PARTIAL_KEEP };
  return { type: 'redact' };
}
