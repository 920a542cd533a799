/**
 * The AES-256-GCM box both sealed files use: the desktop app's sealed credential vault (sealed-vault.ts) and
 * the sealed token stores (token-codec.ts). NIST SP 800-38D: a 96-bit random IV per seal and a 128-bit tag.
 * Stored as one line of JSON, `{"v":1,"iv","tag","data"}` with base64 values.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';

const BoxSchema = z.object({ v: z.literal(1), iv: z.string(), tag: z.string(), data: z.string() });

/** The 256-bit key in `hex` (64 hex characters), or null when it is not one. */
export function keyFromHex(hex: string | null | undefined): Buffer | null {
  return typeof hex === 'string' && /^[0-9a-f]{64}$/i.test(hex) ? Buffer.from(hex, 'hex') : null;
}

/** `text` sealed under `key` (32 bytes), as the one-line JSON box. */
export function sealText(key: Buffer, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  const box = {
    v: 1,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return JSON.stringify(box);
}

/**
 * The text {@link sealText} sealed in `boxText`, or null when the box is damaged or was sealed under another
 * key (the callers say which file, and what to do).
 */
export function openSealed(key: Buffer, boxText: string): string | null {
  try {
    const box = BoxSchema.parse(JSON.parse(boxText));
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(box.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return null;
  }
}
