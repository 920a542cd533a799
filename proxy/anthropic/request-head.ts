/**
 * A request's path and headers as recorded, masked for storage (DESIGN.md, "Masking": every payload, every
 * string). Credentials are fingerprinted before this (policy/credentials.ts) and left as they are.
 */
import { isCredentialName } from '../policy/credentials.js';
import type { StringMasker } from './json-masking.js';
import type { PolicyMasking } from './mask-memo.js';

/** A request head after masking, and how many values each detector masked in it. */
export interface MaskedHead {
  path: string;
  headers: Record<string, string>;
  counts: Record<string, number>;
}

/**
 * Masks the recorded path and headers with `masker`: each path segment and query parameter (name and value)
 * decoded first (an email in a query string comes as `%40`) and encoded again when changed; each header value
 * except those of credential headers (already fingerprints). Returns the inputs themselves when nothing
 * changed.
 */
export function maskRequestHead(
  path: string,
  headers: Record<string, string>,
  masker: StringMasker,
): MaskedHead {
  const counts: Record<string, number> = {};
  const mask = (text: string): string => {
    const masked = masker.mask(text);
    for (const id in masked.counts) counts[id] = (counts[id] ?? 0) + masked.counts[id]!;
    return masked.text;
  };
  const mark = path.indexOf('?');
  const route = mark === -1 ? path : path.slice(0, mark);
  const maskedRoute = route
    .split('/')
    .map((segment) => maskComponent(segment, mask, false))
    .join('/');
  const maskedQuery =
    mark === -1
      ? ''
      : `?${path
          .slice(mark + 1)
          .split('&')
          .map((pair) => maskComponent(pair, mask, true))
          .join('&')}`;
  const maskedPath = maskedRoute + maskedQuery;
  let maskedHeaders: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (isCredentialName(name)) continue;
    const masked = mask(value);
    if (masked === value) continue;
    maskedHeaders ??= { ...headers };
    maskedHeaders[name] = masked;
  }
  return { path: maskedPath === path ? path : maskedPath, headers: maskedHeaders ?? headers, counts };
}

/**
 * The recorded path and headers of a request (credentials already fingerprinted): masked for storage when
 * `masking` masks anything, else as they are.
 */
export function recordedHead(
  path: string,
  headers: Record<string, string>,
  masking: PolicyMasking,
): MaskedHead {
  return masking.active ? maskRequestHead(path, headers, masking.text) : { path, headers, counts: {} };
}

/** Two sets of counts per detector added up; undefined when both are empty. */
export function addCounts(
  a: Record<string, number> | undefined,
  b: Record<string, number>,
): Record<string, number> | undefined {
  const sum = { ...a };
  for (const [id, n] of Object.entries(b)) sum[id] = (sum[id] ?? 0) + n;
  return Object.keys(sum).length > 0 ? sum : undefined;
}

/** One path segment or `name=value` pair, masked decoded and encoded again when it changed. */
function maskComponent(component: string, mask: (text: string) => string, query: boolean): string {
  if (component === '') return component;
  const decoded = decode(component, query);
  const masked = mask(decoded);
  if (masked === decoded) return component;
  if (!query) return encodeURIComponent(masked);
  // The pair was masked as one text (a detector may need the name, as in `password=…`): encode each side.
  const equals = masked.indexOf('=');
  return equals === -1
    ? encodeURIComponent(masked)
    : `${encodeURIComponent(masked.slice(0, equals))}=${encodeURIComponent(masked.slice(equals + 1))}`;
}

function decode(text: string, query: boolean): string {
  try {
    return decodeURIComponent(query ? text.replace(/\+/g, ' ') : text);
  } catch {
    return text;
  }
}
