/**
 * IP addresses as personal data: a public address can identify a subscriber, so it is masked. Addresses that
 * identify no one outside a network are not: loopback, link-local, private (RFC 1918, RFC 6598 shared, IPv6
 * unique-local), documentation (RFC 5737, RFC 3849), benchmarking, multicast and reserved ranges. Private
 * addresses appear in every development log (`172.17.0.2`, `192.168.1.10`) and name only a machine inside a
 * network; masking them would make recordings harder to read and protect no one. Version numbers written like
 * addresses (`v1.2.3.4`, `version 10.0.0.1`) are not addresses.
 */
import { isIPv6 } from 'node:net';
import type { TextRange } from '../masking/types.js';
import { isTokenCharAt, orderedRanges } from './kit.js';
import { matchesInClusters, type ScanDetector, scanDetector } from './scan.js';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`${OCTET}(?:\\.${OCTET}){3}`, 'g');
const WORD = /[A-Za-z0-9_]/;
/**
 * Words before a dotted number that make it a version or a section number (`version 1.2.3.4`, `v: 1.2.3.4`,
 * `build=…`, `§ 4.1.2.1`, `PostgreSQL docs, 4.1.2.1`).
 */
const VERSION_BEFORE =
  /(?:version|ver|release|build|firmware|v|section|sect?\.?|chapter|§|docs,?|step|figure|fig\.|table|clause)\s*[:=]?\s*\\?["']?$/i;

/** True when the dotted-quad address (each octet already 0–255) identifies no one outside a network. */
export function isNonPublicIPv4(address: string): boolean {
  const dot1 = address.indexOf('.');
  const dot2 = address.indexOf('.', dot1 + 1);
  const dot3 = address.indexOf('.', dot2 + 1);
  const a = Number(address.slice(0, dot1));
  const b = Number(address.slice(dot1 + 1, dot2));
  const c = Number(address.slice(dot2 + 1, dot3));
  return (
    a === 0 || // "this network" (RFC 1122)
    a === 10 || // private (RFC 1918)
    a === 127 || // loopback
    (a === 100 && b >= 64 && b <= 127) || // shared address space (RFC 6598)
    (a === 169 && b === 254) || // link-local (RFC 3927)
    (a === 172 && b >= 16 && b <= 31) || // private
    (a === 192 && b === 168) || // private
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1 (RFC 5737)
    (a === 198 && (b === 18 || b === 19)) || // benchmarking (RFC 2544)
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113) || // TEST-NET-3
    a >= 224 // multicast, reserved, broadcast
  );
}

/** True when the IPv6 address identifies no one outside a network (or embeds an IPv4 address that does not). */
export function isNonPublicIPv6(address: string): boolean {
  const lower = address.toLowerCase();
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower)?.[1];
  if (v4 && /^(?:::ffff:|::ffff:0:|64:ff9b::|::)/.test(lower)) return isNonPublicIPv4(v4);
  const groups = expandIPv6(lower);
  const first = groups[0]!;
  if (groups.every((g) => g === 0)) return true; // unspecified
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return true; // loopback
  return (
    (first & 0xffc0) === 0xfe80 || // link-local (RFC 4291)
    (first & 0xfe00) === 0xfc00 || // unique local (RFC 4193)
    (first & 0xff00) === 0xff00 || // multicast
    (first === 0x2001 && groups[1] === 0x0db8) || // documentation (RFC 3849)
    (first === 0x0064 && groups[1] === 0xff9b) || // the NAT64 prefix itself (RFC 6052)
    (first === 0x0100 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0) // discard-only (RFC 6666)
  );
}

/** The eight 16-bit groups of a valid IPv6 address without an embedded IPv4 part. */
function expandIPv6(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g || '0', 16));
}

/** IPv6 candidates: runs of hex digits, colons and dots around each `::` or `hex:hex`, checked by `node:net`. */
function* ipv6Ranges(text: string): Generator<TextRange> {
  let from = 0;
  for (let colon = text.indexOf(':'); colon !== -1; colon = text.indexOf(':', Math.max(colon + 1, from))) {
    const before = text.charCodeAt(colon - 1);
    const next = text.charCodeAt(colon + 1);
    if (!(isHex(before) && (isHex(next) || next === 58)) && !(before === 58 && isHex(next))) continue;
    let start = colon;
    while (start > 0 && isAddressChar(text.charCodeAt(start - 1))) start--;
    let end = colon + 1;
    while (end < text.length && isAddressChar(text.charCodeAt(end))) end++;
    while (end > colon && text[end - 1] === '.') end--;
    from = end;
    if (isTokenCharAt(text, start - 1, WORD) || WORD.test(text[end] ?? ' ') || text[end] === ':') continue;
    const candidate = text.slice(start, end);
    if ((candidate.match(/:/g)?.length ?? 0) < 2 || !isIPv6(candidate)) continue;
    if ((candidate.match(/[0-9a-f]/gi)?.length ?? 0) < 4 || isNonPublicIPv6(candidate)) continue;
    yield { start, end };
  }
}

/** Hex digits, `:` and `.`: the characters of an IPv6 address (with an IPv4 tail). */
function isAddressChar(code: number): boolean {
  return isHex(code) || code === 58 || code === 46;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/**
 * Public IPv4 and IPv6 addresses. Not reported: non-public ranges ({@link isNonPublicIPv4},
 * {@link isNonPublicIPv6}), dotted numbers with more than four parts (OIDs, versions such as `1.2.3.4.5`), and
 * versions (`v1.2.3.4`, `version 1.2.3.4`, `1.2.3.4-beta`).
 */
export const ipAddress: ScanDetector = scanDetector({
  id: 'pii.ip_address',
  category: 'pii',
  description: 'Public IP address (IPv4, IPv6; not private, loopback, link-local, documentation or versions)',
  keywords: [],
  findIn(scan) {
    const { text } = scan;
    const found: TextRange[] = [];
    const dotted = (c: TextRange) => {
      const dot = text.indexOf('.', c.start);
      return dot !== -1 && dot < c.end;
    };
    for (const m of matchesInClusters(scan, IPV4, dotted)) {
      const start = m.index;
      const end = start + m[0].length;
      if (isNonPublicIPv4(m[0])) continue;
      if (isTokenCharAt(text, start - 1, WORD) || WORD.test(text[end] ?? ' ')) continue;
      // Part of a longer dotted number (an OID, a version `1.2.3.4.5`), or a version `1.2.3.4-beta`.
      if (
        (text[start - 1] === '.' && isDigit(text.charCodeAt(start - 2))) ||
        (text[end] === '.' && isDigit(text.charCodeAt(end + 1)))
      )
        continue;
      if ((text[end] === '-' || text[end] === '+') && /[A-Za-z]/.test(text[end + 1] ?? ' ')) continue;
      if (text[start - 1] === ':' && isHex(text.charCodeAt(start - 2))) continue; // the tail of an IPv6 address
      if (VERSION_BEFORE.test(text.slice(Math.max(0, start - 16), start))) continue;
      found.push({ start, end });
    }
    found.push(...ipv6Ranges(text));
    return orderedRanges(found);
  },
});
