/**
 * SASLprep (RFC 4013, a profile of stringprep RFC 3454), as PostgreSQL's pg_saslprep applies it to SCRAM passwords.
 * Used by the key derivation in scram.ts.
 */

// RFC 3454 code point tables, as space-separated hex ranges.
const ranges = (spec: string): number[] =>
  spec.split(' ').flatMap((range) => range.split('-').map((hex) => Number.parseInt(hex, 16)));
/** C.1.2 non-ASCII space characters: mapped to U+0020 (RFC 4013 section 2.1). */
const NON_ASCII_SPACE = ranges('a0-a0 1680-1680 2000-200b 202f-202f 205f-205f 3000-3000');
/** B.1 commonly mapped to nothing (RFC 4013 section 2.1). */
const MAPPED_TO_NOTHING = ranges('ad-ad 34f-34f 1806-1806 180b-180d 200b-200d 2060-2060 fe00-fe0f feff-feff');
/** C.1.2, C.2.1, C.2.2, C.3, C.4 (but plane-final non-characters), C.5-C.9 merged (RFC 4013 section 2.3). */
const PROHIBITED = ranges(
  '0-1f 7f-a0 340-341 6dd-6dd 70f-70f 1680-1680 180e-180e 2000-200f 2028-202f 205f-2063 206a-206f 2ff0-2ffb ' +
    '3000-3000 d800-f8ff fdd0-fdef feff-feff fff9-fffd 1d173-1d17a e0001-e0001 e0020-e007f f0000-10ffff',
);
/** D.1 characters with bidirectional property R or AL (RFC 4013 section 2.4, RFC 3454 section 6). */
const RAND_AL_CAT = ranges(
  '5be-5be 5c0-5c0 5c3-5c3 5d0-5ea 5f0-5f4 61b-61b 61f-61f 621-63a 640-64a 66d-66f 671-6d5 6dd-6dd 6e5-6e6 ' +
    '6fa-6fe 700-70d 710-710 712-72c 780-7a5 7b1-7b1 200f-200f fb1d-fb1d fb1f-fb28 fb2a-fb36 fb38-fb3c ' +
    'fb3e-fb3e fb40-fb41 fb43-fb44 fb46-fbb1 fbd3-fd3d fd50-fd8f fd92-fdc7 fdf0-fdfc fe70-fe74 fe76-fefc',
);
const UNASSIGNED = /\p{Cn}/u; // Approximates A.1 (Unicode 3.2) with the runtime's newer Unicode tables.
const LETTER = /\p{L}/u; // Approximates D.2 (LCat) as letters not in RandALCat.

const inRanges = (cp: number, ranges: readonly number[]): boolean => {
  for (let i = 0; i + 1 < ranges.length; i += 2) if (cp >= ranges[i]! && cp <= ranges[i + 1]!) return true;
  return false;
};

/**
 * SASLprep (RFC 4013) as PostgreSQL's pg_saslprep applies it to passwords: ASCII passes unchanged; otherwise map,
 * NFKC-normalise, then check prohibited, unassigned and bidi rules; an invalid result falls back to the raw password.
 */
export function saslPrep(password: string): string {
  if (Buffer.byteLength(password) === password.length) return password;
  const mapped: number[] = [];
  for (const ch of password) {
    const cp = ch.codePointAt(0) ?? 0;
    if (inRanges(cp, NON_ASCII_SPACE)) mapped.push(0x20);
    else if (!inRanges(cp, MAPPED_TO_NOTHING)) mapped.push(cp);
  }
  if (mapped.length === 0) return password;
  const output = String.fromCodePoint(...mapped).normalize('NFKC');
  const chars = Array.from(output, (ch) => ch.codePointAt(0) ?? 0);
  const prohibited = (cp: number) =>
    inRanges(cp, PROHIBITED) || (cp & 0xfffe) === 0xfffe || UNASSIGNED.test(String.fromCodePoint(cp));
  if (chars.some(prohibited)) return password;
  if (chars.some((cp) => inRanges(cp, RAND_AL_CAT))) {
    const lCat = (cp: number) => !inRanges(cp, RAND_AL_CAT) && LETTER.test(String.fromCodePoint(cp));
    const [first = 0, last = 0] = [chars[0], chars[chars.length - 1]];
    if (chars.some(lCat) || !inRanges(first, RAND_AL_CAT) || !inRanges(last, RAND_AL_CAT)) return password;
  }
  return output;
}
