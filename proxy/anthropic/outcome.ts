import type { Store } from '../store/store.js';
import type { MessageAssembler } from './assembler.js';
import { CappedCollector, recordBody } from './body.js';
import { type ApiError, type AssistantMessage, asRecord, asText, type Usage } from './message.js';
import { estimateCost, type PriceOverrides } from './pricing.js';
import type { ReplyMasking } from './reply-masking.js';
import { replySearchText } from './text.js';
import { flaggedText, flaggedToolUses, GUARD_FLAGGED_EVENT, type ToolUseGuard } from './tool-use-guard.js';

/** How an exchange ended. `interrupted` is set by start-up recovery after the engine died mid-exchange. */
export type ExchangeOutcome =
  | 'streaming'
  | 'complete'
  | 'error'
  | 'incomplete'
  | 'aborted'
  | 'upstream_unreachable'
  | 'upstream_failed'
  | 'recording_failed'
  | 'shutdown'
  | 'interrupted';

/** Timings of one exchange in µs, measured from when the request arrived at the proxy. */
export interface ExchangeTimings {
  headers_us: number | null;
  first_token_us: number | null;
  total_us: number | null;
}

/** Everything the outcome payload is built from; owned and updated by the Exchange. */
export interface OutcomeState {
  requestSeq: number;
  isMessages: boolean;
  /** Model and stream flag named in the request. */
  model: string | undefined;
  stream: boolean;
  status: number | null;
  responseHeaders: Record<string, string>;
  timings: ExchangeTimings;
  bytesForwarded: number;
  error: ApiError | undefined;
  /** Set for text/event-stream replies. */
  assembler: MessageAssembler | undefined;
  /** Set for other replies: the first `maxBodyBytes` of the (decoded) body. */
  collector: CappedCollector | undefined;
  /** Whether the collector saw decoded bytes (then its total, not bytesForwarded, is the body size). */
  decoded: boolean;
  maxBodyBytes: number;
  prices: PriceOverrides;
  /** How the reply is masked before storage; absent when the policy masks nothing. */
  masking?: ReplyMasking;
}

/**
 * The state of an exchange whose reply has not begun: no status, no timings, no body seen.
 * `facts`: what the request body says, when it was read before forwarding.
 */
export function initialOutcomeState(
  init: {
    requestSeq: number;
    isMessages: boolean;
    maxBodyBytes: number;
    prices: PriceOverrides;
    masking?: ReplyMasking;
  },
  facts: { model: string | undefined; stream: boolean } | undefined,
): OutcomeState {
  const { requestSeq, isMessages, maxBodyBytes, prices, masking } = init;
  return {
    requestSeq,
    isMessages,
    model: facts?.model,
    stream: facts?.stream ?? false,
    status: null,
    responseHeaders: {},
    timings: { headers_us: null, first_token_us: null, total_us: null },
    bytesForwarded: 0,
    error: undefined,
    assembler: undefined,
    collector: undefined,
    decoded: false,
    maxBodyBytes,
    prices,
    masking,
  };
}

/**
 * How a reply that ended upstream ended: `error` for a failure, an HTTP status of 400 or more, or a mid-stream
 * error event; `incomplete` for a stream cut short (no message_stop); else `complete`.
 */
export function naturalOutcome(state: OutcomeState): ExchangeOutcome {
  const { error, status, assembler } = state;
  if (error || (status !== null && status >= 400)) return 'error';
  if (assembler?.snapshot().error) return 'error';
  if (assembler && !assembler.snapshot().complete) return 'incomplete';
  return 'complete';
}

/**
 * The payload of an exchange's outcome event (`llm.turn` for POST /v1/messages, else `http.exchange`), also
 * used for in-flight checkpoints with outcome `streaming`. Shape: request_seq, outcome, status, timings,
 * response_headers (credentials fingerprinted), response_bytes; for Messages also stream, model, response
 * (the assistant message), stop_reason, usage, cost_usd (US dollars or null), error; other replies carry
 * their body as `body` / `body_raw`. A streamed reply whose content passed the storage cap (maxBodyBytes)
 * has `response_truncated: true` and the content up to the cap, as a body has `body_truncated`.
 * Every outcome but `streaming` comes masked for storage (ReplyMasking.seal, with `masked` counts) when the
 * state says how; a checkpoint masks what it takes of the `streaming` payload itself (checkpoint.ts).
 */
export function outcomePayload(state: OutcomeState, outcome: ExchangeOutcome): Record<string, unknown> {
  const payload = unmaskedPayload(state, outcome);
  return state.masking && outcome !== 'streaming' ? state.masking.seal(payload) : payload;
}

function unmaskedPayload(state: OutcomeState, outcome: ExchangeOutcome): Record<string, unknown> {
  const base: Record<string, unknown> = {
    request_seq: state.requestSeq,
    outcome,
    status: state.status,
    timings: { ...state.timings },
    response_headers: state.responseHeaders,
    response_bytes: state.bytesForwarded,
  };
  if (state.assembler) {
    const assembled = outcome === 'streaming' ? state.assembler.snapshot() : state.assembler.finish();
    const model = modelName(assembled.message.model) ?? state.model;
    const usage = assembled.message.usage ?? null;
    return {
      ...base,
      stream: true,
      model: model ?? null,
      response: assembled.message,
      stop_reason: assembled.message.stop_reason ?? null,
      usage,
      cost_usd: estimateCost(model, usage ?? undefined, state.prices),
      error: assembled.error ?? state.error ?? null,
      sse_events: assembled.event_counts,
      ...(assembled.anomalies.length ? { anomalies: assembled.anomalies } : {}),
      ...(assembled.truncated ? { response_truncated: true } : {}),
    };
  }
  if (!state.collector) return { ...base, stream: state.stream, error: state.error ?? null };
  const recorded = recordBody(
    state.collector.bytes(),
    state.decoded ? state.collector.total : state.bytesForwarded,
    state.responseHeaders['content-type'],
    state.maxBodyBytes,
  );
  if (!state.isMessages) return { ...base, ...recorded, error: state.error ?? null };
  const json = asRecord(recorded.body);
  const message = json?.type === 'message' ? (json as AssistantMessage) : undefined;
  const apiError = asRecord(json?.error);
  const model = modelName(message?.model) ?? state.model;
  const usage = message ? (message.usage ?? null) : null;
  return {
    ...base,
    stream: false,
    model: model ?? null,
    response: message ?? null,
    stop_reason: message?.stop_reason ?? null,
    usage,
    cost_usd: message ? estimateCost(model, usage ?? undefined, state.prices) : null,
    error: apiError
      ? { type: asText(apiError.type ?? 'unknown_error'), message: asText(apiError.message) }
      : (state.error ?? null),
    ...(message ? {} : recorded),
  };
}

/** The reply's model id when it is a string (an upstream may send anything there), else undefined. */
function modelName(model: unknown): string | undefined {
  return typeof model === 'string' ? model : undefined;
}

/**
 * The store write that seals an exchange's in-flight record with its outcome `payload`: an `llm.turn` event
 * (Messages, with the reply's text indexed) or an `http.exchange`. `requestText` is the request's search text
 * when its body was read only after it was recorded. With a guard, a reply's tool_use blocks that a rule would
 * block or hold are recorded after it as `guard.flagged` events (tool-use-guard.ts), in the same write.
 */
export function sealWrite(
  exchange: {
    store: Store;
    sessionId: string;
    requestSeq: number;
    isMessages: boolean;
    toolGuard?: ToolUseGuard | undefined;
  },
  payload: Record<string, unknown>,
  requestText: string | undefined,
  /** The working directory the request's system prompt names, for the guard. */
  cwd?: string,
): () => void {
  const { store, sessionId, requestSeq, isMessages, toolGuard } = exchange;
  // Decided once, from the reply as recorded: the write may run again after a rolled-back batch.
  const flagged =
    isMessages && toolGuard ? flaggedToolUses(toolGuard, payload.response, requestSeq, cwd) : [];
  return () => {
    store.sealInflight(sessionId, requestSeq, isMessages ? 'llm.turn' : 'http.exchange', payload, {
      text: isMessages ? replySearchText((payload.response as AssistantMessage | null)?.content) : undefined,
      stats: outcomeStats(payload, isMessages),
      requestText,
    });
    for (const event of flagged)
      store.append(sessionId, GUARD_FLAGGED_EVENT, event, { text: flaggedText(event) });
  };
}

/** Running totals an outcome adds to its session's stats (the turn itself was counted with its request). */
export function outcomeStats(payload: Record<string, unknown>, isMessages: boolean): Record<string, number> {
  const failed = payload.outcome !== 'complete' ? 1 : 0;
  if (!isMessages) return { errors: failed };
  const usage = (payload.usage ?? undefined) as Usage | undefined;
  return {
    input_tokens: usage?.input_tokens ?? 0,
    output_tokens: usage?.output_tokens ?? 0,
    cache_creation_tokens: usage?.cache_creation_input_tokens ?? 0,
    cache_read_tokens: usage?.cache_read_input_tokens ?? 0,
    cost_usd: (payload.cost_usd as number | null) ?? 0,
    // Turns with usage but no known price, so totals never pass off a partial sum as the cost.
    unpriced_turns: usage && payload.cost_usd === null ? 1 : 0,
    errors: failed,
  };
}

export { CappedCollector };
