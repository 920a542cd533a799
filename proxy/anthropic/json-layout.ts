/**
 * Where the parts of a JSON object's text stand, found without parsing it: its top-level members, and the
 * elements of the arrays some of them hold (a Messages request's `messages`). A later turn of a conversation
 * resends most of these parts byte for byte, so they can be recognised by their text (fragment-memo.ts)
 * instead of being parsed again.
 */

/** One top-level member: its key, and its value's text at [start, end); `elements` when it was split. */
export interface LaidOutMember {
  key: string;
  start: number;
  end: number;
  /** For an array value of a key asked to be split: each element's text, as [start, end) pairs. */
  elements?: number[];
}

const QUOTE = 34;
const BACKSLASH = 92;

/**
 * The top-level members of the JSON object `text`, in order, splitting the array values of the keys in
 * `split` into their elements; null when `text` is not an object, holds a key twice at the top level, or is
 * not valid JSON where the scan looks (it looks only at structure: values are checked by whoever parses them).
 * A scan from quote to quote (a native search) with the few characters between strings read one by one.
 */
export function layoutOf(text: string, split: ReadonlySet<string>): LaidOutMember[] | null {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 123) return null; // {
  const members: LaidOutMember[] = [];
  const keys = new Set<string>();
  let depth = 1;
  let member: LaidOutMember | undefined;
  /** The elements of the member being split, while inside its array (depth 2). */
  let elements: number[] | undefined;
  let expectKey = true;
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const close = closingQuote(text, i);
      if (close === -1) return null;
      if (depth === 1 && expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, close + 1)) as string;
        } catch {
          return null;
        }
        if (keys.has(key)) return null;
        keys.add(key);
        const colon = skipSpace(text, close + 1);
        if (text.charCodeAt(colon) !== 58) return null; // :
        const start = skipSpace(text, colon + 1);
        member = { key, start, end: -1 };
        members.push(member);
        expectKey = false;
        i = start - 1; // the value is read next, from its first character
        continue;
      }
      if (elements && depth === 2 && elements.length % 2 === 0) elements.push(i);
      i = close;
      continue;
    }
    if (c === 123 || c === 91) {
      // { [
      if (depth === 1 && member && c === 91 && split.has(member.key) && i === member.start) {
        elements = [];
      } else if (elements && depth === 2 && elements.length % 2 === 0) elements.push(i);
      depth++;
    } else if (c === 125 || c === 93) {
      // } ]
      depth--;
      if (depth === 1 && elements) {
        closeElement(text, elements, i);
        member!.elements = elements;
        elements = undefined;
      } else if (depth === 0) {
        if (member && member.end === -1) member.end = trimEnd(text, i);
        return skipSpace(text, i + 1) === text.length && members.every((m) => m.end > m.start)
          ? members
          : null;
      }
    } else if (c === 44) {
      // ,
      if (depth === 1) {
        if (!member || member.end !== -1) return null;
        member.end = trimEnd(text, i);
        expectKey = true;
      } else if (depth === 2 && elements) closeElement(text, elements, i);
    } else if (elements && depth === 2 && elements.length % 2 === 0 && !isSpace(c)) {
      elements.push(i); // a number or a literal starts an element
    }
  }
  return null;
}

/** Ends the element being read (if one was begun) at the separator or bracket at `at`. */
function closeElement(text: string, elements: number[], at: number): void {
  if (elements.length % 2 === 1) elements.push(trimEnd(text, at));
}

/** The index of the quote closing the string opened at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at !== -1; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  return at;
}

/** The end of the value that stops before `at`, whitespace before `at` left out. */
function trimEnd(text: string, at: number): number {
  while (at > 0 && isSpace(text.charCodeAt(at - 1))) at--;
  return at;
}
