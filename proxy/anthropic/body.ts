import { MAX_NESTING, nestingDepth } from '../common/json-depth.js';

/** A request or response body as recorded: parsed JSON when possible, else raw text; capped in size. */
export interface RecordedBody {
  /** The parsed JSON body, when it was JSON and within the cap. */
  body?: unknown;
  /** The body as UTF-8 text when it was not JSON, or its first `cap` bytes when it was over the cap. */
  body_raw?: string;
  /** Size of the whole body in bytes (what was forwarded). */
  body_bytes: number;
  /** Present and true when only the first `cap` bytes were stored. */
  body_truncated?: true;
  /** Why a body that claimed to be JSON was stored raw. */
  body_error?: string;
}

/**
 * Describes a body for the store. JSON is parsed when the content type says JSON (or the body looks like
 * it); bodies over `capBytes` keep only their first `capBytes` bytes as text with `body_truncated: true`.
 */
export function recordBody(
  bytes: Buffer,
  totalBytes: number,
  contentType: string | undefined,
  capBytes: number,
): RecordedBody {
  return readBody(bytes, totalBytes, contentType, capBytes).recorded;
}

/**
 * {@link recordBody}, plus the JSON text the body was parsed from (`json`, present exactly when
 * `recorded.body` is), so a caller recording the body unchanged can write that text instead of serialising
 * the parsed value again. `json` is on one line, as {@link JsonText} requires: raw line feeds, which JSON
 * allows only as whitespace between tokens (a pretty-printed body), are spaces in it — the same value. They
 * are looked for in the bytes (a native search), so a compact body's text is not scanned again. `jsonBytes`
 * is the same as UTF-8: the body's bytes themselves, or a copy with those spaces.
 */
export function readBody(
  bytes: Buffer,
  totalBytes: number,
  contentType: string | undefined,
  capBytes: number,
): { recorded: RecordedBody; json?: string; jsonBytes?: Buffer } {
  if (totalBytes === 0) return { recorded: { body_bytes: 0 } };
  if (totalBytes > capBytes || bytes.length < totalBytes) {
    return {
      recorded: {
        body_raw: bytes.subarray(0, capBytes).toString('utf8'),
        body_bytes: totalBytes,
        body_truncated: true,
      },
    };
  }
  const text = bytes.toString('utf8');
  const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(text);
  if (!looksJson) return { recorded: { body_raw: text, body_bytes: totalBytes } };
  try {
    const body = JSON.parse(text) as unknown;
    // Every level of nesting takes at least one character, so a short text cannot be too deep.
    if (text.length > MAX_NESTING && nestingDepth(body) > MAX_NESTING) {
      return {
        recorded: {
          body_raw: text,
          body_bytes: totalBytes,
          body_error: `JSON nested deeper than ${MAX_NESTING} levels`,
        },
      };
    }
    if (!bytes.includes(0x0a))
      return { recorded: { body, body_bytes: totalBytes }, json: text, jsonBytes: bytes };
    const spaced = Buffer.from(bytes);
    for (let at = spaced.indexOf(0x0a); at !== -1; at = spaced.indexOf(0x0a, at + 1)) spaced[at] = 0x20;
    return {
      recorded: { body, body_bytes: totalBytes },
      json: text.replaceAll('\n', ' '),
      jsonBytes: spaced,
    };
  } catch (error) {
    return {
      recorded: {
        body_raw: text,
        body_bytes: totalBytes,
        body_error: `invalid JSON: ${(error as Error).message}`,
      },
    };
  }
}

/**
 * Keeps the first `capBytes` bytes of a stream for recording while counting all of it; the bytes themselves
 * are forwarded elsewhere, so memory stays bounded by the cap whatever the body's size.
 */
export class CappedCollector {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly capBytes: number) {}

  /** Adds a chunk (only the part that still fits under the cap is kept). */
  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept >= this.capBytes) return;
    const part =
      chunk.length + this.kept > this.capBytes ? chunk.subarray(0, this.capBytes - this.kept) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  /** The kept bytes. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }
}
