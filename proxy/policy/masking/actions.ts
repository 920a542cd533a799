import { createHmac } from 'node:crypto';
import type { MaskAction } from './types.js';

/** The character `partial` shows in place of each hidden character. */
export const MASK_CHAR = '•';

/**
 * What replaces one value under `action` (DESIGN.md, "Masking"), as text:
 * - `redact` → `[MASKED:<id>]`, e.g. `[MASKED:pii.email]`;
 * - `partial` → one `•` per hidden character and the last `keep` characters as they are
 *   (`••••••••••••1111`). Characters are Unicode code points, so an emoji is never cut in half. A value
 *   shorter than twice `keep` is hidden whole: showing `keep` characters of it would show half or more;
 * - `hash` → `hash:` and the first 8 hex digits of HMAC-SHA-256(`hashKey`, value as UTF-8): equal values
 *   give equal hashes under one installation's key, and nothing can be reversed without it;
 * - `null` → as `redact` (a NULL exists only on the PostgreSQL wire, which writes it itself).
 * @param id the detector's or rule's id (`pii.email`, `column.customers.email`), named by `redact`
 * @param hashKey the installation's key (mask-key.ts); 32 bytes
 */
export function maskWith(value: string, action: MaskAction, id: string, hashKey: Buffer): string {
  switch (action.type) {
    case 'partial':
      return partial(value, action.keep);
    case 'hash':
      return `hash:${createHmac('sha256', hashKey).update(value, 'utf8').digest('hex').slice(0, 8)}`;
    default:
      return `[MASKED:${id}]`;
  }
}

function partial(value: string, keep: number): string {
  const chars = Array.from(value);
  const shown = chars.length >= 2 * keep ? keep : 0;
  const hidden = chars.length - shown;
  return MASK_CHAR.repeat(hidden) + chars.slice(hidden).join('');
}
