/**
 * Contact details: email addresses and phone numbers. Phone numbers are validated with libphonenumber-js (the
 * "max" metadata: Google's libphonenumber rules per country), after a cheap pattern has picked the candidates,
 * so the library never scans the whole text.
 */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Detector, TextRange } from '../masking/types.js';
import { isTokenCharAt, orderedRanges } from './kit.js';
import { matchesInClusters, type ScanDetector, scanDetector } from './scan.js';

/** A local part's characters: RFC 5322 dot-atom text as addresses are written in practice. */
const LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const DOMAIN_CHAR = /[A-Za-z0-9.-]/;
/** Host name labels (RFC 1035 §2.3.1) and a top-level domain of letters. */
const DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
/** File extensions that follow `@` in asset names (`icon@2x.png`), which are not top-level domains in use. */
const FILE_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif svg webp ico bmp tif tiff avif heic pdf js mjs cjs ts tsx jsx css scss less map json html ' +
    'htm txt lock yaml yml toml xml csv zip gz tgz tar wasm woff woff2 ttf otf eot mp3 mp4 mov webm wav ogg'
  ).split(' '),
);

/**
 * Email addresses (`local@domain.tld`, RFC 5322 addr-spec as written in practice), also inside JSON strings
 * (`"\nbob@example.com"` starts at `b`). Not reported: asset names (`logo@2x.png`), the user of a URL
 * (`https://user@host`) and scp-style Git remotes (`git@github.com:org/repo`).
 */
export const email: Detector = {
  id: 'pii.email',
  category: 'pii',
  description: 'Email address',
  keywords: ['@'],
  *find(text) {
    for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
      let start = at;
      while (at - start <= 64 && isTokenCharAt(text, start - 1, LOCAL_CHAR)) start--;
      while (start < at && text[start] === '.') start++;
      if (start === at || at - start > 64 || text[at - 1] === '.') continue;
      let end = at + 1;
      while (end < text.length && end - at <= 255 && DOMAIN_CHAR.test(text[end]!)) end++;
      while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
      const domain = text.slice(at + 1, end);
      if (!DOMAIN.test(domain)) continue;
      if (FILE_EXTENSIONS.has(domain.slice(domain.lastIndexOf('.') + 1).toLowerCase())) continue;
      if (text.startsWith('//', start - 2)) continue;
      if (text[end] === ':' && /[\w~/]/.test(text[end + 1] ?? '')) continue;
      yield { start, end };
    }
  },
};

/**
 * Regions whose national formats are recognised without a country code: the NANP (US, Canada: `(415)
 * 555-2671`, `415-555-2671`) and the larger countries that write national numbers with a trunk prefix `0`
 * (`020 7946 0958`, `030 901820`, `06 12 34 56 78`). Numbers written with `+` or `00` are recognised for every
 * country. National numbers without a trunk prefix elsewhere (Spain's `612 34 56 78`) are too ambiguous
 * without their country code, so they are left alone.
 */
export const PHONE_REGIONS: readonly CountryCode[] = ['GB', 'DE', 'FR', 'NL', 'IT', 'AU', 'IN', 'JP', 'BR'];

/**
 * Phone-number candidates: international (`+` or `00`, country code, digits with separators), or national
 * with separators (an area code in parentheses or followed by a separator, then one to four groups).
 */
const PHONE_CANDIDATE =
  /(?:\+|\b00)[1-9][\d ().-]{5,22}\d|(?:\(\d{2,5}\) ?|\b\d{2,5}[-. ])\d{2,8}(?:[-. ]\d{2,4}){0,3}\b/g;
/** Words before a number written bare that say it is a phone number (`phone: 4155552671`, `"tel": "+…`). */
const PHONE_CONTEXT = /(?:phone|tel|mobile|cell|fax)[\w ]{0,12}(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?$/i;
const NANP_SHAPE = /^(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}$/;
const TRUNK_SHAPE = /^\(?0\d/;
/** Things with a phone number's digits and separators that are not one: dates, times, IPv4 addresses. */
const NOT_A_PHONE =
  /^(?:\d{4}[-./ ]\d{1,2}[-./ ]\d{1,2}|\d{1,2}[-./ ]\d{1,2}[-./ ]\d{2,4}|\d{1,3}(?:\.\d{1,3}){3})$/;

/** True when `candidate` is a valid phone number (libphonenumber-js "max" metadata), with `region` as default. */
function isValidPhone(candidate: string, region?: CountryCode): boolean {
  const number = parsePhoneNumberFromString(candidate, { defaultCountry: region, extract: false });
  return number?.isValid() ?? false;
}

/** True when `candidate`, a national or international number without context, is a valid phone number. */
function isPhone(candidate: string): boolean {
  if (NOT_A_PHONE.test(candidate)) return false;
  const digits = candidate.replace(/\D/g, '').length;
  if (digits < 7 || digits > 17) return false;
  if (candidate.startsWith('+')) return isValidPhone(candidate);
  if (candidate.startsWith('00')) return isValidPhone(`+${candidate.slice(2)}`);
  if (NANP_SHAPE.test(candidate)) return isValidPhone(candidate, 'US');
  if (!TRUNK_SHAPE.test(candidate)) return false;
  return PHONE_REGIONS.some((region) => isValidPhone(candidate, region));
}

/**
 * The longest valid phone number at the start of `candidate`: the pattern may have taken a group too many
 * (`+1 415 555 2671 12 items`), so trailing groups are dropped until a number is valid. Returns its length.
 */
function validPrefix(candidate: string): number {
  let current = candidate;
  for (let drops = 0; drops < 3; drops++) {
    if (isPhone(current)) return current.length;
    const cut = current.search(/[ ().-]+\d+$/);
    if (cut <= 0) return 0;
    current = current.slice(0, cut);
  }
  return 0;
}

const PHONE_BEFORE = /[A-Za-z0-9_.\-/+]/;

/**
 * Phone numbers in international form for any country, and in the national forms of the NANP and of
 * {@link PHONE_REGIONS}, validated by libphonenumber-js; also a bare number after `phone:`, `tel:`, `mobile`…
 * Dates, times, IPv4 addresses and numbers inside longer numbers or words are not phone numbers.
 */
export const phone: ScanDetector = scanDetector({
  id: 'pii.phone',
  category: 'pii',
  description: 'Phone number (international, NANP and trunk-prefix national formats)',
  keywords: [],
  findIn(scan) {
    const { text } = scan;
    const found: TextRange[] = [];
    for (const m of matchesInClusters(scan, PHONE_CANDIDATE, (c) => c.digits >= 7)) {
      const start = m.index;
      if (isTokenCharAt(text, start - 1, PHONE_BEFORE)) continue;
      const length = validPrefix(m[0]);
      if (length === 0) continue;
      const end = start + length;
      if (/[A-Za-z0-9_/]/.test(text[end] ?? ' ') || /^[.-]\d/.test(text.slice(end, end + 2))) continue;
      found.push({ start, end });
    }
    for (const c of scan.numericClusters()) {
      // A bare run of digits (a `+` before it is part of the number) after words that name a phone number.
      if (c.digits < 7 || c.digits > 15 || c.end - c.start !== c.digits) continue;
      if (isTokenCharAt(text, c.start - 1, /\w/) || /\w/.test(text[c.end] ?? ' ')) continue;
      const plus = text[c.start - 1] === '+';
      const start = plus ? c.start - 1 : c.start;
      if (!PHONE_CONTEXT.test(text.slice(Math.max(0, start - 32), c.start))) continue;
      const number = text.slice(start, c.end);
      const valid = plus
        ? isValidPhone(number)
        : ['US', ...PHONE_REGIONS].some((r) => isValidPhone(number, r as CountryCode));
      if (valid) found.push({ start, end: c.end });
    }
    return orderedRanges(found);
  },
});
