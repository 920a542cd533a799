/**
 * Masking a Messages API request body: every string of the parsed body, with the few exceptions that are not
 * text, and the masked body written back as JSON by replacing only the strings that changed in the text it
 * arrived as.
 */
import type { MaskedString } from './mask-memo.js';

/** Masks one string (a {@link MaskMemo}, or anything with its shape). */
export interface StringMasker {
  mask(text: string): MaskedString;
}

/** A body after {@link maskBody}. */
export interface MaskedBody<T> {
  /** The masked body: `value` itself when nothing changed (copy-on-write, as `maskJson`). */
  value: T;
  /** How many values each detector masked. */
  counts: Record<string, number>;
  /** The strings that changed, by their position among the body's strings (object keys counted), in order. */
  changes: Map<number, string>;
  /** How many strings the body holds, object keys included. */
  strings: number;
  /**
   * True when the walk visited the strings in the order they stand in the JSON text: false once an object
   * had a key that is an array index (JavaScript puts those first, whatever the text's order).
   */
  textOrder: boolean;
}

/** Where a walk is. */
interface Walk {
  masker: StringMasker;
  counts: Record<string, number>;
  changes: Map<number, string>;
  strings: number;
  textOrder: boolean;
  /** Leave credentials a request is meant to carry (MCP servers' `authorization_token`) as they are. */
  keepCredentials: boolean;
}

/** Options of {@link maskBody}. */
export interface MaskBodyOptions {
  /** Leave `authorization_token` members as they are (outbound: the MCP server needs them). */
  keepCredentials?: boolean;
}

/**
 * Masks every string of a parsed request body with `masker` (object keys are left as they are), copying only
 * the objects and arrays on the way to a change. Not masked, because they are not text: a thinking block's
 * `signature`, a redacted thinking block's `data`, and the `data` of a base64 source whose `media_type` is not
 * `text/*` (images, PDFs). A base64 source of a `text/*` type (a `.env` attached as a text/plain document) is
 * decoded, masked as text, and encoded again when something in it changed. Recursive: give it bodies of at
 * most MAX_NESTING levels (readBody checks).
 */
export function maskBody<T>(value: T, masker: StringMasker, options: MaskBodyOptions = {}): MaskedBody<T> {
  const walk: Walk = {
    masker,
    counts: {},
    changes: new Map(),
    strings: 0,
    textOrder: true,
    keepCredentials: options.keepCredentials ?? false,
  };
  const masked = visit(value, walk) as T;
  const { counts, changes, strings, textOrder } = walk;
  return { value: masked, counts, changes, strings, textOrder };
}

function visit(value: unknown, walk: Walk): unknown {
  if (typeof value === 'string') return maskString(value, walk);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const masked = visit(item, walk);
      if (masked === item) continue;
      copy ??= value.slice();
      copy[i] = masked;
    }
    return copy ?? value;
  }
  const object = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    walk.strings++;
    const first = key.charCodeAt(0);
    if (first >= 48 && first <= 57) walk.textOrder = false;
    const member = object[key];
    const masked = typeof member === 'string' ? maskMember(object, key, member, walk) : visit(member, walk);
    if (masked === member) continue;
    copy ??= { ...object };
    // A `__proto__` member stays a plain member of the copy.
    Object.defineProperty(copy, key, { value: masked, writable: true, enumerable: true, configurable: true });
  }
  return copy ?? object;
}

/** A string member, masked unless it is one of the exceptions in {@link maskBody}. */
function maskMember(object: Record<string, unknown>, key: string, member: string, walk: Walk): string {
  const type = object.type;
  if (
    (key === 'signature' && type === 'thinking') ||
    (key === 'data' && type === 'redacted_thinking') ||
    (key === 'authorization_token' && walk.keepCredentials)
  ) {
    walk.strings++;
    return member;
  }
  if (key === 'data' && type === 'base64' && typeof object.media_type === 'string') {
    walk.strings++;
    return /^text\//i.test(object.media_type) ? maskBase64Text(member, walk) : member;
  }
  return maskString(member, walk);
}

function maskString(text: string, walk: Walk): string {
  const index = walk.strings++;
  const masked = walk.masker.mask(text);
  if (masked.text === text) return text;
  count(walk, masked.counts);
  walk.changes.set(index, masked.text);
  return masked.text;
}

/** A base64 text document: decoded (UTF-8), masked, encoded again when something changed. */
function maskBase64Text(data: string, walk: Walk): string {
  const index = walk.strings - 1;
  const plain = Buffer.from(data, 'base64').toString('utf8');
  const masked = walk.masker.mask(plain);
  if (masked.text === plain) return data;
  count(walk, masked.counts);
  const encoded = Buffer.from(masked.text, 'utf8').toString('base64');
  walk.changes.set(index, encoded);
  return encoded;
}

function count(walk: Walk, counts: Readonly<Record<string, number>>): void {
  for (const id in counts) walk.counts[id] = (walk.counts[id] ?? 0) + counts[id]!;
}

/**
 * Where each string of a JSON text stands, in order, as [start, end) pairs (quotes included), when the text
 * holds exactly `expected` strings; null otherwise. The text must be valid JSON (JSON.parse accepted it).
 * A JSON text holding more strings than its parsed value has dropped some: an object with a key twice keeps
 * only the last member, and the text still holds the first — so a count that differs means the text is not
 * recorded as it is. A native search from quote to quote (about 10 ns per string).
 */
export function stringRanges(text: string, expected: number): Int32Array | null {
  const ranges = new Int32Array(expected * 2);
  let n = 0;
  let open = -1;
  for (let at = text.indexOf('"'); at !== -1; at = text.indexOf('"', at + 1)) {
    if (open === -1) {
      // Outside a string, a quote always opens one (a backslash can stand only inside strings).
      open = at;
      continue;
    }
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 92) backslashes++;
    if (backslashes % 2 === 1) continue; // an escaped quote, inside the string
    if (n === ranges.length) return null;
    ranges[n++] = open;
    ranges[n++] = at + 1;
    open = -1;
  }
  return n === ranges.length ? ranges : null;
}

/**
 * `text` with the strings in `changes` (by position, ascending) replaced by their JSON, each where it stands
 * (`ranges` from {@link stringRanges}): the body keeps the client's own formatting and member order.
 */
export function replaceStrings(
  text: string,
  ranges: Int32Array,
  changes: ReadonlyMap<number, string>,
): string {
  let out = '';
  let at = 0;
  for (const [index, replacement] of changes) {
    out += text.slice(at, ranges[index * 2]!) + JSON.stringify(replacement);
    at = ranges[index * 2 + 1]!;
  }
  return out + text.slice(at);
}
