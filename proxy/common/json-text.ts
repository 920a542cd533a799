/**
 * A value already serialised as JSON text, to be written as it is rather than serialised again — for a large
 * request body that arrived as JSON and is recorded unchanged. The store's writer splices `text` in where the
 * value goes (see Heads.next); its canonical form is derived later, like any payload's.
 *
 * Only wrap text that is exactly one JSON value, such as text `JSON.parse` accepted, on one line (no raw line
 * feed: the journal is split at them; JSON.stringify's output never has one): nothing checks it again.
 *
 * `bytes`, when given, is the same text as UTF-8, in pieces — a request body's bytes as they arrived between
 * the text around them — so the journal can hand them to the file as they are, without first making one
 * string of a large body and encoding it again (for a 106 KB request, about 300 µs on its way upstream).
 */
export class JsonText {
  constructor(
    readonly text: string,
    readonly bytes?: readonly Buffer[],
  ) {}

  /** The value itself, for anything that serialises it the ordinary way (JSON.stringify, tests). */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}
