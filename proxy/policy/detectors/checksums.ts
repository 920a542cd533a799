/**
 * Structural checks that tell an issued credential from a string of the same shape: the CRC32 that GitHub and
 * npm put in the last six characters of their tokens, and the binary macaroon (version 2) that a PyPI token
 * encodes.
 */
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` (an unsigned 32-bit integer) in base 62 with the alphabet 0-9A-Za-z, left-padded with `0` to `width`. */
export function base62(n: number, width: number): string {
  let out = '';
  let rest = n >>> 0;
  while (rest > 0) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
}

/**
 * True when `body` (a token without its prefix) ends in the CRC32 of the rest, as six base-62 digits: the
 * format of GitHub's tokens since April 2021 (`ghp_` + 30 random characters + 6-character checksum; GitHub
 * blog, "Behind GitHub's new authentication token formats", 2021-04-05) and npm's (GitHub changelog, "npm has
 * a new access token format", 2021-09-23). The encoding (zlib CRC32 of the random part, base 62 with the
 * alphabet 0-9A-Za-z, zero-padded) was checked against published example tokens of both.
 */
export function hasBase62Crc32(body: string): boolean {
  if (body.length <= 6) return false;
  const random = body.slice(0, -6);
  return base62(crc32(random), 6) === body.slice(-6);
}

/** `text` decoded from base64url (or standard base64), or `null` when it holds other characters. */
export function decodeBase64Url(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_+/-]*={0,2}$/.test(text)) return null;
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/**
 * True when `body` (a PyPI token without `pypi-`) is a serialized macaroon of version 2 whose first field is
 * its location: byte 0x02, field type 0x01 (location), a varint length, then that many printable ASCII bytes
 * (`pypi.org`, `test.pypi.org`). PyPI documents its API tokens as macaroons prefixed with `pypi-`; the binary
 * layout is libmacaroons' "v2" format.
 */
export function isMacaroonV2(body: string): boolean {
  const bytes = decodeBase64Url(body.slice(0, 64));
  if (!bytes || bytes.length < 4 || bytes[0] !== 0x02 || bytes[1] !== 0x01) return false;
  const length = bytes[2]!;
  if (length === 0 || length > 0x7f || bytes.length < 3 + length) return false;
  for (let i = 3; i < 3 + length; i++) {
    const b = bytes[i]!;
    if (b < 0x21 || b > 0x7e) return false;
  }
  return true;
}
