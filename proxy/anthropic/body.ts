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
  if (totalBytes === 0) return { body_bytes: 0 };
  if (totalBytes > capBytes || bytes.length < totalBytes) {
    return {
      body_raw: bytes.subarray(0, capBytes).toString('utf8'),
      body_bytes: totalBytes,
      body_truncated: true,
    };
  }
  const text = bytes.toString('utf8');
  const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(text);
  if (!looksJson) return { body_raw: text, body_bytes: totalBytes };
  try {
    const body = JSON.parse(text) as unknown;
    if (nestingDepth(body) > MAX_NESTING) {
      return {
        body_raw: text,
        body_bytes: totalBytes,
        body_error: `JSON nested deeper than ${MAX_NESTING} levels`,
      };
    }
    return { body, body_bytes: totalBytes };
  } catch (error) {
    return {
      body_raw: text,
      body_bytes: totalBytes,
      body_error: `invalid JSON: ${(error as Error).message}`,
    };
  }
}

/** Deeper JSON is stored raw: canonical serialisation (and any reader) should not recurse that far. */
const MAX_NESTING = 256;

/** Nesting depth of a parsed JSON value, computed without recursion. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_NESTING) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
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
