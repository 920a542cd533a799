/**
 * What the Anthropic proxy records of a request body before forwarding it, and what it reads from it.
 *
 * Under a policy that masks anything (the default), the body is read, masked and recorded before it is
 * forwarded (masked-body.ts): the journal is storage too. Under one that masks nothing, a body is normally
 * parsed before it is forwarded: its JSON text is recorded as it arrived (or redacted), and the model, stream
 * flag and search text are read from it. A large JSON body (a Claude Code turn is 100 KB and more) is then
 * instead recorded as its bytes, unparsed, and read after it has gone upstream: parsing it is most of what
 * recording costs such a request on its way (280 µs for 106 KB). The journal checks those bytes when they
 * are read back (store/journal-line.ts), and stores them as text when they are not JSON, as a malformed body
 * parsed here would be. Only a body that cannot hold a credential redaction replaces is recorded this way.
 */
import { JsonText } from '../common/json-text.js';
import {
  mayHideRequestBodySecrets,
  mayNameRequestBodySecrets,
  redactRequestBodySecrets,
} from '../policy/secrets-in-content.js';
import { type RecordedBody, readBody } from './body.js';
import type { Refusal } from './guards.js';
import type { PolicyMasking } from './mask-memo.js';
import { prepareMaskedBody } from './masked-body.js';
import { asRecord } from './message.js';
import { requestSearchText } from './text.js';
import { systemWorkingDirectory, withCwd } from './tool-use-guard.js';

/** Bodies from this size on (bytes) go to the journal as the bytes they arrived as. */
const BODY_BYTES_FROM = 16 * 1024;

/** What an exchange needs from its request body. */
export interface RequestFacts {
  /** The model named in the body. */
  model: string | undefined;
  /** True when the body asks for a streamed reply. */
  stream: boolean;
  /** Text for the full-text index (Messages requests only). */
  searchText: string | undefined;
  /** The working directory the system prompt names (Claude Code's), for the guard (tool-use-guard.ts). */
  cwd?: string;
}

/** A request body prepared for recording. */
export interface PreparedBody {
  /** The body as recorded; without `body` itself when the JSON text below or the unchecked bytes stand for it. */
  recorded: RecordedBody;
  /** The JSON text the body arrived as, recorded unchanged, and its bytes when large. */
  json?: { text: string; bytes: Buffer | undefined };
  /** The body's bytes, recorded before they were parsed. */
  unchecked?: Buffer;
  /**
   * What the body says; for a body recorded unchecked, the function that reads it (to call once the request
   * has been forwarded).
   */
  request: RequestFacts | (() => RequestFacts);
  /** The body's search text when it was read before forwarding. */
  searchText: string | undefined;
  /** How many values each detector masked in the recorded body (absent: none). */
  masked?: Record<string, number>;
  /** How many of those were masked in what went upstream too (outbound masking; absent: none). */
  maskedOutbound?: Record<string, number>;
  /**
   * What goes upstream instead of the bytes that arrived (outbound masking changed something): the body as
   * JSON (or text), never compressed — `decoded` says the request's Content-Encoding must go.
   */
  forward?: { bytes: Buffer; decoded: boolean };
  /** Why the request may not be forwarded at all (a body outbound masking cannot read). */
  refusal?: Refusal;
}

/** Masking of a request body under the policy in force, and the bounds it is decoded within. */
export interface BodyMasking {
  masking: PolicyMasking;
  /** Largest body a compressed one may decode to, bytes. */
  maxDecodedBytes: number;
}

/**
 * Prepares a request body for recording. Under a policy that masks anything (`masking` given and active),
 * the body is read and masked now (masked-body.ts). Without one: parsed now, or (large JSON without line
 * feeds that cannot name a credential) left to be read after forwarding.
 * @param capBytes the storage cap: larger bodies are stored truncated (see readBody)
 */
export function prepareBody(
  body: Buffer,
  contentType: string | undefined,
  capBytes: number,
  isMessages: boolean,
  /** The request's Content-Encoding: only a body sent as it is (none, or identity) is recorded unread. */
  contentEncoding?: string,
  masking?: BodyMasking,
): PreparedBody {
  if (masking?.masking.active) {
    return prepareMaskedBody(body, masking.masking, {
      contentType,
      contentEncoding,
      capBytes,
      maxDecodedBytes: masking.maxDecodedBytes,
      isMessages,
    });
  }
  if (
    body.length >= BODY_BYTES_FROM &&
    (contentEncoding ?? 'identity').trim().toLowerCase() === 'identity' &&
    body.length <= capBytes &&
    /json/i.test(contentType ?? '') &&
    !body.includes(0x0a) &&
    !mayNameRequestBodySecrets(body)
  ) {
    return {
      recorded: { body_bytes: body.length },
      unchecked: body,
      request: () => factsOf(readBody(body, body.length, contentType, capBytes).recorded.body, isMessages),
      searchText: undefined,
    };
  }
  const { recorded: parsed, json, jsonBytes } = readBody(body, body.length, contentType, capBytes);
  const redacted = parsed.body === undefined ? undefined : redactRequestBodySecrets(parsed.body);
  const recorded = redacted === parsed.body ? parsed : { ...parsed, body: redacted };
  const request = factsOf(recorded.body, isMessages);
  const { searchText } = request;
  // A body recorded unchanged is written as the JSON text it arrived as, not serialised again — unless that
  // text could hold a secret redaction never saw (a duplicate key: the parse keeps only the last).
  const unchanged = recorded === parsed && !mayHideRequestBodySecrets(parsed.body);
  if (!unchanged || json === undefined) return { recorded, request, searchText };
  const { body: _body, ...rest } = recorded;
  return { recorded: rest, json: { text: json, bytes: jsonBytes }, request, searchText };
}

/**
 * The `http.request` payload: method, upstream (where it was forwarded: scheme, host and base path, e.g.
 * `https://api.anthropic.com`), path, headers (secrets already fingerprinted) and the recorded body.
 * A body given as JSON text or unchecked bytes is spliced in as it is, so a large request body is not
 * serialised a second time on its way upstream — nor, from {@link BODY_BYTES_FROM} bytes on, turned into one
 * string and encoded again for the journal.
 */
export function requestPayload(
  method: string | undefined,
  path: string,
  headers: Record<string, unknown>,
  body: PreparedBody,
  upstream?: string,
  /** How many values each detector masked in the request (path, headers and body); absent: none. */
  masked?: Record<string, number>,
): unknown {
  const outbound = body.maskedOutbound ? { masked_outbound: body.maskedOutbound } : {};
  const payload = {
    method,
    upstream,
    path,
    headers,
    ...(masked ? { masked } : {}),
    ...outbound,
    ...body.recorded,
  };
  if (body.unchecked) {
    return JsonText.withUnchecked(`${JSON.stringify(payload).slice(0, -1)},`, 'body', body.unchecked, '}');
  }
  if (body.json === undefined) return payload;
  const before = `${JSON.stringify(payload).slice(0, -1)},"body":`;
  const { text, bytes } = body.json;
  const pieces =
    bytes && bytes.length >= BODY_BYTES_FROM ? [Buffer.from(before), bytes, Buffer.from('}')] : undefined;
  return JsonText.of(`${before}${text}}`, pieces);
}

/** An exchange's request facts: known when its request was recorded, or read from the body once, when asked. */
export class RequestFactsOnce {
  private facts: RequestFacts | undefined;
  private reader: (() => RequestFacts) | undefined;
  /** True once the body was read after its request was recorded. */
  private late = false;

  constructor(request: RequestFacts | (() => RequestFacts)) {
    if (typeof request === 'function') this.reader = request;
    else this.facts = request;
  }

  /** The facts if the body has been read, without reading it. */
  get known(): RequestFacts | undefined {
    return this.facts;
  }

  /** The facts, reading the body first if that has not happened yet. */
  read(): RequestFacts {
    if (this.reader) {
      this.facts = this.reader();
      this.reader = undefined;
      this.late = true;
    }
    return this.facts!;
  }

  /** The search text of a body read after its request was recorded (to index with the seal), else undefined. */
  get lateSearchText(): string | undefined {
    return this.late ? this.facts?.searchText : undefined;
  }
}

function factsOf(body: unknown, isMessages: boolean): RequestFacts {
  const request = asRecord(body);
  return {
    model: typeof request?.model === 'string' ? request.model : undefined,
    stream: request?.stream === true,
    searchText: isMessages ? requestSearchText(body) : undefined,
    ...withCwd(isMessages ? systemWorkingDirectory(body) : undefined),
  };
}

/**
 * The search text of a recorded `http.request` payload, for a Messages request whose body was read only after
 * forwarding and never sealed (start-up recovery indexes it then); undefined for anything else.
 */
export function recoveredSearchText(payload: unknown): string | undefined {
  const record = asRecord(payload);
  const path = typeof record?.path === 'string' ? record.path.split('?')[0]! : '';
  if (record?.method !== 'POST' || !path.endsWith('/v1/messages')) return undefined;
  return requestSearchText(record.body);
}
