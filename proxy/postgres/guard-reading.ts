/**
 * How the server will read a statement's bytes, for the guard: the classifier parses UTF-8 text with
 * standard_conforming_strings on, as PostgreSQL's parser does by default. Two session settings make the
 * server read the same bytes otherwise (PostgreSQL docs, 24.3 "Character Set Support", 4.1.2.1 "String
 * Constants"): a multi-byte client_encoding such as SJIS or BIG5 can swallow a quote or a backslash into a
 * character, and standard_conforming_strings off lets a backslash move where a string constant ends. A
 * statement either could change is classified as unknown rather than as it merely looks.
 */
import { readsDifferentlyWithoutStandardStrings } from '../policy/guard/sql-shape.js';
import type { GuardContext } from '../policy/guard/types.js';

/** Any character outside ASCII (a byte of 0x80 or more in the statement as sent). */
const NON_ASCII = /[\u0080-\uffff]/;

/** client_encoding values in which the bytes are UTF-8 (or ASCII only), as the classifier reads them. */
const UTF8_ENCODINGS = new Set(['UTF8', 'UNICODE', 'SQLASCII']);

/** One session's reading settings, from the server's ParameterStatus messages (PostgreSQL docs, 55.7). */
export class ServerReading {
  private readonly parameters: Map<string, string>;

  /** @param initial the ParameterStatus values the server sent at start-up */
  constructor(initial: Record<string, string> = {}) {
    this.parameters = new Map(Object.entries(initial));
  }

  /** A ParameterStatus from the server; only client_encoding and standard_conforming_strings matter here. */
  parameter(name: string, value: string): void {
    if (name === 'client_encoding' || name === 'standard_conforming_strings')
      this.parameters.set(name, value);
  }

  /** `context` for a statement whose text is `text`, with `sqlUnreadable` when the server may read it otherwise. */
  context(context: GuardContext, text: string): GuardContext {
    const why = this.unreadable(text);
    return why ? { ...context, sqlUnreadable: why } : context;
  }

  private unreadable(text: string): string | undefined {
    const encoding = this.parameters.get('client_encoding') ?? 'UTF8';
    if (!UTF8_ENCODINGS.has(encoding.toUpperCase().replace(/[-_]/g, '')) && NON_ASCII.test(text))
      return `the session's client_encoding is ${encoding}, in which its non-ASCII bytes may read as other SQL`;
    if (
      this.parameters.get('standard_conforming_strings') === 'off' &&
      readsDifferentlyWithoutStandardStrings(text)
    )
      return 'standard_conforming_strings is off, and a backslash changes where a string constant ends';
    return undefined;
  }
}
