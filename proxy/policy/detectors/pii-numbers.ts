/**
 * Personal numbers with validity rules of their own: payment card numbers (issuer ranges and lengths, Luhn),
 * IBANs (country length and format, ISO 7064 mod-97 checksum, via ibantools) and US Social Security numbers
 * (the Social Security Administration's never-issued ranges).
 */
import { getCountrySpecifications, isValidIBAN } from 'ibantools';
import type { Detector, TextRange } from '../masking/types.js';
import { isTokenCharAt, orderedRanges } from './kit.js';
import { matchesInClusters, type ScanDetector, scanDetector } from './scan.js';

/** True when `digits` passes the Luhn check (ISO/IEC 7812-1 Annex B). */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Issuer identification number ranges and the lengths their cards have, as the networks publish them
 * (ISO/IEC 7812-1 IINs): [first prefix, last prefix, lengths].
 */
const CARD_RANGES: ReadonlyArray<readonly [string, string, readonly number[]]> = [
  ['4', '4', [13, 16, 19]], // Visa
  ['51', '55', [16]], // Mastercard
  ['2221', '2720', [16]], // Mastercard 2-series
  ['34', '34', [15]], // American Express
  ['37', '37', [15]],
  ['6011', '6011', [16, 17, 18, 19]], // Discover
  ['644', '649', [16, 17, 18, 19]],
  ['65', '65', [16, 17, 18, 19]],
  ['300', '305', [14, 15, 16, 17, 18, 19]], // Diners Club
  ['36', '36', [14, 15, 16, 17, 18, 19]],
  ['38', '39', [16, 17, 18, 19]],
  ['3528', '3589', [16, 17, 18, 19]], // JCB
  ['62', '62', [16, 17, 18, 19]], // UnionPay
  ['2200', '2204', [16, 17, 18, 19]], // Mir
  ['5018', '5018', [12, 13, 14, 15, 16, 17, 18, 19]], // Maestro
  ['5020', '5020', [12, 13, 14, 15, 16, 17, 18, 19]],
  ['5038', '5038', [12, 13, 14, 15, 16, 17, 18, 19]],
  ['5893', '5893', [12, 13, 14, 15, 16, 17, 18, 19]],
  ['6304', '6304', [12, 13, 14, 15, 16, 17, 18, 19]],
  ['6759', '6759', [12, 13, 14, 15, 16, 17, 18, 19]],
  ['6761', '6763', [12, 13, 14, 15, 16, 17, 18, 19]],
];

/** True when `digits` is a payment card number: a known issuer range, a length that issuer uses, and Luhn. */
export function isCardNumber(digits: string): boolean {
  const inRange = CARD_RANGES.some(([low, high, lengths]) => {
    const prefix = digits.slice(0, low.length);
    return prefix >= low && prefix <= high && lengths.includes(digits.length);
  });
  return inRange && luhn(digits);
}

/** 12 to 19 digits bare, or in groups of 3 to 6 with one kind of separator (`4111 1111 1111 1111`, `3782-822463-10005`). */
const CARD_CANDIDATE = /\d{12,19}|\d{3,6}([ -])\d{3,6}(?:\1\d{1,6}){1,4}/g;
const DIGIT_OR_WORD = /[A-Za-z0-9_]/;

/**
 * Payment card numbers (Visa, Mastercard, American Express, Discover, Diners Club, JCB, UnionPay, Mir,
 * Maestro), bare or grouped with spaces or dashes, that pass Luhn for an issuer range and length. Digits
 * inside longer numbers, decimals (`0.4111…`) and words are not card numbers.
 */
export const paymentCard: ScanDetector = scanDetector({
  id: 'pii.card',
  category: 'pii',
  description: 'Payment card number (Luhn, issuer ranges and lengths)',
  keywords: [],
  *findIn(scan) {
    const { text } = scan;
    for (const m of matchesInClusters(scan, CARD_CANDIDATE, (c) => c.digits >= 12)) {
      const start = m.index;
      if (isTokenCharAt(text, start - 1, DIGIT_OR_WORD) || text[start - 1] === '.') continue;
      let groups = m[0].split(/[ -]/);
      while (groups.length > 0) {
        const digits = groups.join('');
        const end = start + groups.join(m[1] ?? '').length;
        if (digits.length >= 12 && digits.length <= 19 && isCardNumber(digits)) {
          const next = text[end] ?? ' ';
          if (!DIGIT_OR_WORD.test(next) && !/^[.,]\d/.test(text.slice(end, end + 2))) yield { start, end };
          break;
        }
        if (groups.length === 1) break;
        groups = groups.slice(0, -1);
      }
    }
  },
});

/** Two capital letters, two check digits, then 11 to 30 letters or digits, optionally in groups of four. */
const IBAN_CANDIDATE = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}/g;
const IBAN_LENGTHS = new Map(
  Object.entries(getCountrySpecifications()).flatMap(([country, spec]) =>
    spec.chars ? [[country, spec.chars] as const] : [],
  ),
);

/**
 * International Bank Account Numbers (ISO 13616) in electronic (`DE89370400440532013000`) or print form
 * (`DE89 3704 0044 0532 0130 00`): the length of their country, its BBAN format and the mod-97 check digits,
 * verified by ibantools.
 */
export const iban: Detector = {
  id: 'pii.iban',
  category: 'pii',
  description: 'IBAN (country length and format, mod-97 checksum)',
  keywords: [],
  *find(text) {
    for (const m of text.matchAll(IBAN_CANDIDATE)) {
      const length = IBAN_LENGTHS.get(m[0].slice(0, 2));
      if (length === undefined) continue;
      // Take exactly the country's number of characters, skipping the spaces between groups.
      let end = m.index;
      let count = 0;
      while (count < length && end < text.length) {
        if (text[end] !== ' ') count++;
        end++;
      }
      if (count < length || /[A-Za-z0-9]/.test(text[end] ?? ' ')) continue;
      if (isValidIBAN(text.slice(m.index, end).replace(/ /g, ''))) yield { start: m.index, end };
    }
  },
};

/** `AAA-GG-SSSS` or `AAA GG SSSS`. */
const SSN_FORMATTED = /\b(\d{3})([- ])(\d{2})\2(\d{4})\b/g;
/** Words before nine bare digits that say they are a Social Security number (`SSN: `, `social security no.`). */
const SSN_CONTEXT = /(?:ssn|social[\s_-]*security(?:[\s_-]*(?:number|num|no))?)[^\w\n]{0,20}$/i;

/**
 * True when area, group and serial were ever assignable (SSA, "Social Security Number Randomization", 2011):
 * area not 000, 666 or 900–999; group not 00; serial not 0000.
 */
export function isValidSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

/**
 * US Social Security numbers written `123-45-6789` or `123 45 6789` that follow the SSA's validity rules; nine
 * bare digits only after `SSN` or `social security (number)`. Parts of longer dashed numbers are not reported.
 */
export const usSsn: ScanDetector = scanDetector({
  id: 'pii.us_ssn',
  category: 'pii',
  description: 'US Social Security number (validity rules; bare 9 digits only after "SSN")',
  keywords: [],
  findIn(scan) {
    const { text } = scan;
    const found: TextRange[] = [];
    for (const m of matchesInClusters(scan, SSN_FORMATTED, (c) => c.digits >= 9)) {
      const start = m.index;
      const end = start + m[0].length;
      if (/[\d-]/.test(text[start - 1] ?? ' ') || /[\d-]/.test(text[end] ?? ' ')) continue;
      if (isValidSsn(m[1]!, m[3]!, m[4]!)) found.push({ start, end });
    }
    for (const c of scan.numericClusters()) {
      if (c.digits !== 9 || c.end - c.start !== 9 || isTokenCharAt(text, c.start - 1, /\w/)) continue;
      if (/\w/.test(text[c.end] ?? ' ')) continue;
      const d = text.slice(c.start, c.end);
      if (!isValidSsn(d.slice(0, 3), d.slice(3, 5), d.slice(5))) continue;
      if (SSN_CONTEXT.test(text.slice(Math.max(0, c.start - 48), c.start)))
        found.push({ start: c.start, end: c.end });
    }
    return orderedRanges(found);
  },
});
