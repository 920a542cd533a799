import { createHash } from 'node:crypto';

/**
 * A token's fingerprint for records and displays: `sha256:` and the first 16 hex digits (64 bits) of the
 * SHA-256 of the token's text. Identifies which token verified a session without revealing or allowing
 * reconstruction of it.
 */
export function tokenFingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}
