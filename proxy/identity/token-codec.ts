/**
 * How a {@link TokenSet} is written down: JSON checked against a schema on the way back (a damaged or foreign
 * value becomes an IdentityError `store` that says what to do, never a crash), and the AES-256-GCM box the
 * sealed store keeps it in (sealed-box.ts, the same box as the sealed credential vault's).
 */
import { z } from 'zod';
import { IdentityError } from './errors.js';
import { keyFromHex, openSealed, sealText } from './sealed-box.js';
import type { TokenSet } from './types.js';

const TokenSetSchema = z.object({
  issuer: z.string(),
  client_id: z.string(),
  access_token: z.string(),
  refresh_token: z.string().nullable(),
  id_token: z.string().nullable(),
  expires_at: z.number(),
  obtained_at: z.number(),
  claims: z.object({
    issuer: z.string(),
    subject: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    groups: z.array(z.string()),
  }),
  token_fingerprint: z.string(),
});

/** What to do about tokens a store cannot give back. */
const SIGN_IN_AGAIN = 'Run `glassbox login` to sign in again.';

/** The stored text of `tokens` (JSON, one line). */
export function encodeTokens(tokens: TokenSet): string {
  return JSON.stringify(tokens);
}

/**
 * The {@link TokenSet} in `text`, as {@link encodeTokens} wrote it.
 * @param where the store, for the message ("/home/u/.glassbox/tokens.json (0600)")
 * @throws IdentityError `store` when `text` is not a token set (damaged, truncated, edited)
 */
export function decodeTokens(text: string, where: string): TokenSet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw damaged(where, 'not JSON');
  }
  const parsed = TokenSetSchema.safeParse(value);
  if (!parsed.success) throw damaged(where, `no valid token set: ${parsed.error.issues[0]?.path.join('.')}`);
  return parsed.data;
}

/**
 * The key of the sealed store from GLASSBOX_VAULT_KEY (64 hex characters, 256 bits).
 * @throws IdentityError `store` for a malformed key
 */
export function sealingKey(hex: string): Buffer {
  const key = keyFromHex(hex);
  if (!key) throw new IdentityError('store', 'GLASSBOX_VAULT_KEY must be 64 hex characters (a 256-bit key)');
  return key;
}

/** `text` sealed with AES-256-GCM under `key` (sealed-box.ts). */
export function seal(key: Buffer, text: string): string {
  return sealText(key, text);
}

/**
 * The text {@link seal} sealed in `boxText`.
 * @throws IdentityError `store` when the box is damaged or was sealed under another key
 */
export function unseal(key: Buffer, boxText: string, where: string): string {
  const text = openSealed(key, boxText);
  if (text !== null) return text;
  throw new IdentityError(
    'store',
    `The sealed sign-in tokens in ${where} cannot be opened with the desktop app's key (damaged, or sealed ` +
      `by another installation). ${SIGN_IN_AGAIN}`,
  );
}

function damaged(where: string, why: string): IdentityError {
  return new IdentityError('store', `The sign-in tokens in ${where} are damaged (${why}). ${SIGN_IN_AGAIN}`);
}
