/**
 * A request body prepared for recording under a policy that masks (DESIGN.md, "Masking"): the body is read
 * before it is forwarded — the journal is storage too, so a body can no longer be journaled unread — and what
 * is recorded is masked: every string (json-masking.ts), through the memo of strings masked before
 * (mask-memo.ts), so a conversation resent turn after turn is scanned only where it is new. With outbound
 * masking on, what goes upstream is masked first, by the outbound detectors, and the recorded body is that,
 * masked again for storage.
 *
 * The recorded JSON is the text the body arrived as, with only the strings that changed replaced
 * (json-masking.ts `replaceStrings`): a body with nothing to mask is journaled as the very bytes it came as,
 * as before masking, and one with something masked costs a few string copies, not a serialisation. Where the
 * text holds strings its parsed value lacks (a key given twice), it is never recorded as it is: the masked
 * value is serialised instead.
 */
import { brotliDecompressSync, gunzipSync, inflateSync, type ZlibOptions } from 'node:zlib';
import { describeError } from '../common/errors.js';
import { mayHideRequestBodySecrets, redactRequestBodySecrets } from '../policy/secrets-in-content.js';
import { readBody } from './body.js';
import { applyEdits, type Edit } from './fragment-memo.js';
import type { Refusal } from './guards.js';
import { maskBody, replaceStrings, stringRanges } from './json-masking.js';
import type { PolicyMasking } from './mask-memo.js';
import { asRecord } from './message.js';
import type { PreparedBody } from './request-body.js';
import { requestSearchText } from './text.js';
import { systemWorkingDirectory, withCwd } from './tool-use-guard.js';

/** Synchronous decoders of request bodies by content coding (RFC 9110 §8.4.1). */
const DECODE: Readonly<Record<string, (bytes: Buffer, options: ZlibOptions) => Buffer>> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/** What a masked body needs besides the bytes. */
export interface MaskedBodyOptions {
  contentType: string | undefined;
  /** The request's Content-Encoding, as sent. */
  contentEncoding: string | undefined;
  /** The storage cap, bytes: a longer body is recorded as the first this many bytes of its masked text. */
  capBytes: number;
  /** Largest body a compressed one may decode to, bytes (the proxy's request size limit). */
  maxDecodedBytes: number;
  isMessages: boolean;
}

/**
 * Prepares `bytes` for recording, masked by `masking` (see the module comment). A body compressed in a coding
 * Glassbox decodes (gzip, deflate, br) is decoded first; one it cannot decode is not recorded (`body_error`
 * says why) and — with outbound masking on, since it could not be masked — refused (415). Never throws.
 */
export function prepareMaskedBody(
  bytes: Buffer,
  masking: PolicyMasking,
  options: MaskedBodyOptions,
): PreparedBody {
  const encoding = (options.contentEncoding ?? 'identity').trim().toLowerCase();
  let plain = bytes;
  if (encoding !== 'identity' && bytes.length > 0) {
    try {
      const decode = Object.hasOwn(DECODE, encoding) ? DECODE[encoding] : undefined;
      if (!decode) throw new Error('not a coding Glassbox decodes (gzip, deflate, br)');
      plain = decode(bytes, { maxOutputLength: options.maxDecodedBytes });
    } catch (error) {
      return undecodable(bytes, encoding, describeError(error), masking);
    }
  }
  const read = readMasked(plain, options, masking);
  const { value, raw, error, body } = read;
  // Sent decoded only when it was masked on its way: otherwise the bytes go as they came.
  const forward = body.sentText === undefined ? undefined : Buffer.from(body.sentText, 'utf8');
  const body_bytes = forward ? forward.length : bytes.length;
  const masked = nonEmpty(body.counts);
  const maskedOutbound = nonEmpty(body.outboundCounts);
  const parsed = asRecord(value);
  const request = {
    model: typeof parsed?.model === 'string' ? parsed.model : undefined,
    stream: parsed?.stream === true,
    searchText: options.isMessages ? requestSearchText(body.stored) : undefined,
    ...withCwd(options.isMessages ? systemWorkingDirectory(body.stored) : undefined),
  };
  const prepared = {
    request,
    searchText: request.searchText,
    ...(masked ? { masked } : {}),
    ...(maskedOutbound ? { maskedOutbound } : {}),
    ...(forward ? { forward: { bytes: forward, decoded: encoding !== 'identity' } } : {}),
  };
  const body_error = error === undefined ? {} : { body_error: masking.text.mask(error).text };
  if (plain.length > options.capBytes) {
    // Masked whole before it is cut, so the cut can only fall inside what is masked already.
    const whole =
      body.storedText ?? (typeof body.stored === 'string' ? body.stored : JSON.stringify(body.stored));
    const body_raw = Buffer.from(whole, 'utf8').subarray(0, options.capBytes).toString('utf8');
    return { ...prepared, recorded: { body_raw, body_bytes, body_truncated: true, ...body_error } };
  }
  if (value === undefined) {
    const recorded =
      raw === undefined ? { body_bytes } : { body_raw: body.stored as string, body_bytes, ...body_error };
    return { ...prepared, recorded };
  }
  if (body.storedText === undefined) return { ...prepared, recorded: { body: body.stored, body_bytes } };
  // The recorded text as bytes, given to the journal as they are (a long string would be encoded on the
  // request's path, and posted to the apply thread as a string: 0.3 ms more for 106 KB, measured).
  const jsonBytes =
    body.storedText === read.json && read.jsonBytes ? read.jsonBytes : Buffer.from(body.storedText, 'utf8');
  return { ...prepared, recorded: { body_bytes }, json: { text: body.storedText, bytes: jsonBytes } };
}

/** A body read and masked. */
interface Read {
  /** The parsed JSON body, when it is JSON. */
  value: unknown;
  /** Its text when it is not JSON (or nests too deep), and why. */
  raw: string | undefined;
  error: string | undefined;
  /**
   * The JSON text it was parsed from (line feeds as spaces), or the recorded text spliced from it; and the
   * same as UTF-8 when known without encoding it.
   */
  json: string | undefined;
  jsonBytes: Buffer | undefined;
  body: Masked;
}

/**
 * Reads and masks a (decoded) body: part by part when it is a JSON object sent before in parts
 * (fragment-memo.ts: only new parts are parsed), else parsed and masked whole.
 */
function readMasked(plain: Buffer, options: MaskedBodyOptions, masking: PolicyMasking): Read {
  if (
    plain.length <= options.capBytes &&
    (plain[0] === 0x7b || /json/i.test(options.contentType ?? '')) &&
    !plain.includes(0x0a)
  ) {
    const json = plain.toString('utf8');
    const parts = masking.fragments.mask(json);
    if (parts === 'unseen') {
      // Parsed whole below; its parts are remembered once the request is on its way, for the next turn.
      setImmediate(() => masking.fragments.learn(json));
    } else if (parts) {
      const { counts, outboundCounts, stored, storedEdits, sentEdits } = parts;
      const storedText = storedEdits.length > 0 ? applyEdits(json, storedEdits) : json;
      const sentText = sentEdits.length > 0 ? applyEdits(json, sentEdits) : undefined;
      const body = { stored, storedText, sentText, counts, outboundCounts };
      // An ASCII body's characters are its bytes: the recorded bytes are spliced from them, not encoded.
      const jsonBytes =
        storedEdits.length === 0
          ? plain
          : json.length === plain.length
            ? spliceBytes(plain, storedEdits)
            : undefined;
      return { value: parts.value, raw: undefined, error: undefined, json: storedText, jsonBytes, body };
    }
  }
  const read = readBody(plain, plain.length, options.contentType, Number.MAX_SAFE_INTEGER);
  const { body: value, body_raw: raw, body_error: error } = read.recorded;
  const body =
    value !== undefined && read.json !== undefined
      ? maskParsed(value, read.json, masking)
      : maskRaw(raw ?? '', masking);
  return { value, raw, error, json: read.json, jsonBytes: read.jsonBytes, body };
}

/** `bytes` (ASCII, so its offsets are its text's) with `edits` applied. */
function spliceBytes(bytes: Buffer, edits: readonly Edit[]): Buffer {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const edit of edits) {
    pieces.push(bytes.subarray(at, edit.start), Buffer.from(edit.text, 'utf8'));
    at = edit.end;
  }
  pieces.push(bytes.subarray(at));
  return Buffer.concat(pieces);
}

/** A body masked: what is recorded and what is sent, as values and (where known) JSON text. */
interface Masked {
  /** The recorded value: masked JSON, or masked raw text. */
  stored: unknown;
  /** The recorded value's JSON text when it is the arrived text with strings replaced (one line). */
  storedText: string | undefined;
  /** What goes upstream instead of what arrived, when outbound masking changed something. */
  sentText: string | undefined;
  counts: Record<string, number>;
  outboundCounts: Record<string, number>;
}

function maskParsed(parsed: unknown, json: string, masking: PolicyMasking): Masked {
  let ranges: Int32Array | null | undefined;
  const rangesFor = (strings: number) => {
    if (ranges === undefined) ranges = stringRanges(json, strings);
    return ranges;
  };
  let sent = parsed;
  let sentText: string | undefined;
  let outbound: ReturnType<typeof maskBody> | undefined;
  if (masking.outbound) {
    const result = maskBody(parsed, masking.outbound, { keepCredentials: true });
    if (result.changes.size > 0) {
      outbound = result;
      sent = result.value;
      const r = result.textOrder ? rangesFor(result.strings) : null;
      sentText = r ? replaceStrings(json, r, result.changes) : JSON.stringify(result.value);
    }
  }
  // Credentials the body carries (MCP servers' tokens) become fingerprints first, as ever.
  const redacted = redactRequestBodySecrets(sent);
  const stored = maskBody(redacted, masking.text);
  const counts = { ...(outbound?.counts ?? {}) };
  for (const [id, n] of Object.entries(stored.counts)) counts[id] = (counts[id] ?? 0) + n;
  let storedText: string | undefined;
  if (redacted === sent && !mayHideRequestBodySecrets(parsed)) {
    const r = rangesFor(stored.strings);
    if (r && stored.changes.size === 0 && !outbound) storedText = json;
    else if (r && stored.textOrder)
      storedText = replaceStrings(json, r, merged(outbound?.changes, stored.changes));
  }
  return { stored: stored.value, storedText, sentText, counts, outboundCounts: outbound?.counts ?? {} };
}

function maskRaw(text: string, masking: PolicyMasking): Masked {
  const out = masking.outbound?.mask(text);
  const sent = out ? out.text : text;
  const stored = masking.text.mask(sent);
  const counts = { ...(out?.counts ?? {}) };
  for (const [id, n] of Object.entries(stored.counts)) counts[id] = (counts[id] ?? 0) + n;
  return {
    stored: stored.text,
    storedText: undefined,
    sentText: out && out.text !== text ? out.text : undefined,
    counts,
    outboundCounts: { ...(out?.counts ?? {}) },
  };
}

/** Two position-ordered change sets as one, in position order; `later` wins a position both change. */
function merged(
  earlier: ReadonlyMap<number, string> | undefined,
  later: ReadonlyMap<number, string>,
): Map<number, string> {
  if (!earlier || earlier.size === 0) return new Map(later);
  const all = new Map([...earlier, ...later]);
  return new Map([...all].sort((a, b) => a[0] - b[0]));
}

function undecodable(bytes: Buffer, encoding: string, why: string, masking: PolicyMasking): PreparedBody {
  const message = `content-encoding "${encoding}" could not be decoded (${why}): the body is not recorded`;
  const refusal: Refusal | undefined = masking.outbound
    ? {
        status: 415,
        type: 'invalid_request_error',
        message: `Glassbox masks request bodies before they leave (outbound masking is on) and could not decode content-encoding "${encoding}" (${why}); send the body uncompressed, or gzip, deflate or br`,
      }
    : undefined;
  return {
    recorded: { body_bytes: bytes.length, body_error: message },
    request: { model: undefined, stream: false, searchText: undefined },
    searchText: undefined,
    ...(refusal ? { refusal } : {}),
  };
}

function nonEmpty(counts: Record<string, number>): Record<string, number> | undefined {
  return Object.keys(counts).length > 0 ? counts : undefined;
}
