import { MAX_NESTING, nestingDepth } from './json-depth.js';

/**
 * A value already serialised as JSON text, to be written as it is rather than serialised again — for a large
 * request body that arrived as JSON and is recorded unchanged. The store's writer splices it in where the
 * value goes (see Heads.next); its canonical form is derived later, like any payload's.
 *
 * Only wrap text that is exactly one JSON value, such as text `JSON.parse` accepted, on one line (no raw line
 * feed: the journal is split at them; JSON.stringify's output never has one): nothing checks it again.
 *
 * `bytes`, when given, is the same text as UTF-8, in pieces — a request body's bytes as they arrived between
 * the text around them — so the journal can hand them to the file as they are, without first making one
 * string of a large body and encoding it again (for a 106 KB request, about 300 µs on its way upstream).
 *
 * {@link JsonText.withUnchecked} builds one whose member value nobody has parsed yet: see {@link UncheckedMember}.
 */
export class JsonText {
  private checkedText: string | undefined;

  /**
   * @param text the JSON text (omitted only by {@link JsonText.withUnchecked}, which derives it when asked)
   * @param bytes the same text as UTF-8 pieces
   * @param unchecked which piece is a member value not yet known to be JSON
   */
  private constructor(
    text: string | undefined,
    readonly bytes?: readonly Buffer[],
    readonly unchecked?: UncheckedMember,
  ) {
    this.checkedText = text;
  }

  /** JSON text that is exactly one JSON value, optionally with the same text as UTF-8 pieces. */
  static of(text: string, bytes?: readonly Buffer[]): JsonText {
    return new JsonText(text, bytes);
  }

  /**
   * An object's JSON text in which member `key` holds `value`, bytes that have not been parsed: `before` is
   * the object's text up to that member (ending with `{` or `,`), `after` the rest (ending with `}`). Neither
   * `value` nor the text around it may contain a line feed.
   * @throws TypeError when `key` is not a plain name (lower-case letters and `_`)
   */
  static withUnchecked(before: string, key: string, value: Buffer, after: string): JsonText {
    if (!/^[a-z_]+$/.test(key)) throw new TypeError(`unchecked member name ${JSON.stringify(key)}`);
    const pieces = [Buffer.from(`${before}"${key}":`), value, Buffer.from(after)];
    return new JsonText(undefined, pieces, { key, piece: 1 });
  }

  /**
   * The JSON text; for a value with an unchecked member, the text after {@link checkMember} (decoded from the
   * bytes the first time it is asked for, so a writer that only needs the bytes never pays for it).
   */
  get text(): string {
    if (this.checkedText === undefined) {
      const pieces = [...(this.bytes ?? [])];
      const { key, piece } = this.unchecked ?? { key: '', piece: -1 };
      const checked = piece >= 0 ? checkMember(key, pieces[piece]!) : undefined;
      if (checked && 'member' in checked) {
        const replacement = checked.member;
        // The key's piece ends with `"key":`; the replacement is the whole member.
        const head = pieces[piece - 1]!;
        pieces.splice(piece - 1, 2, head.subarray(0, head.length - key.length - 3), replacement);
      }
      this.checkedText = Buffer.concat(pieces).toString('utf8');
    }
    return this.checkedText;
  }

  /** The value itself, for anything that serialises it the ordinary way (JSON.stringify, tests). */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/**
 * A member of a {@link JsonText} object whose value is bytes that have not been parsed (a large request body
 * recorded before it is read, so that reading it is not on its way upstream). Whoever turns the bytes into a
 * value checks them on their own first — never as part of the text around them, where a crafted value such as
 * `1,"headers":{}` would parse and add members — and stores {@link checkMember}'s replacement instead when
 * they are not one JSON value. `bytes[piece]` is the value; `bytes[piece - 1]` ends with `"key":`.
 */
export interface UncheckedMember {
  key: string;
  piece: number;
}

/**
 * Checks an unchecked member's value on its own. When it is one JSON value nested at most {@link MAX_NESTING}
 * levels: that value, parsed. Otherwise the member text to store instead (UTF-8), keeping the bytes as text:
 * `"<key>_raw":"<the bytes as UTF-8>","<key>_error":"invalid JSON: <parser message>"` (or the nesting
 * message) — the shape a request body that is not JSON is recorded in.
 */
export function checkMember(key: string, value: Uint8Array): { value: unknown } | { member: Buffer } {
  const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  let error: string;
  try {
    const parsed = JSON.parse(text) as unknown;
    // Every level of nesting takes at least one character, so a short text cannot be too deep.
    if (text.length <= MAX_NESTING || nestingDepth(parsed) <= MAX_NESTING) return { value: parsed };
    error = `JSON nested deeper than ${MAX_NESTING} levels`;
  } catch (parseError) {
    error = `invalid JSON: ${(parseError as Error).message}`;
  }
  return {
    member: Buffer.from(`"${key}_raw":${JSON.stringify(text)},"${key}_error":${JSON.stringify(error)}`),
  };
}
