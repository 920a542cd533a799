import type { InflightExchange, RecordedEvent } from '../store/types.js';
import { type ApiError, type AssistantMessage, asRecord, type Usage } from './message.js';

/** A message of a Messages API request: role plus string or content blocks. */
export interface RequestMessage {
  role: string;
  content: unknown;
}

/** One request/reply pair of a Claude session, as a person reads it. */
export interface ConversationTurn {
  /** seq of the `http.request` event. */
  request_seq: number;
  /** seq of the `llm.turn` event, or null while it is still in flight. */
  turn_seq: number | null;
  /** µs since epoch when the request was recorded. */
  ts: number;
  model: string | null;
  /** complete, error, aborted, incomplete, interrupted, streaming… */
  outcome: string;
  status: number | null;
  system: unknown;
  /** Messages this request added since the previous turn (the echo of the previous reply left out). */
  new_messages: RequestMessage[];
  /** True when the request did not extend the previous conversation (a new context or a side request). */
  context_reset: boolean;
  response: AssistantMessage | null;
  usage: Usage | null;
  cost_usd: number | null;
  timings: { headers_us: number | null; first_token_us: number | null; total_us: number | null } | null;
  error: ApiError | null;
}

/** Any other exchange or event, shown as a one-line entry. */
export interface OtherEntry {
  seq: number;
  ts: number;
  kind: string;
  payload: Record<string, unknown>;
}

/**
 * Pairs `http.request` events of POST /v1/messages with their `llm.turn` outcomes (or the in-flight partial)
 * and works out what each turn added, since clients resend the whole conversation every turn.
 * @returns the turns and the remaining events, both in seq order
 */
export function buildConversation(
  events: Iterable<RecordedEvent>,
  inflight: readonly InflightExchange[] = [],
): { turns: ConversationTurn[]; other: OtherEntry[] } {
  const requests = new Map<number, RecordedEvent>();
  const turns: ConversationTurn[] = [];
  const other: OtherEntry[] = [];
  let previous: RequestMessage[] | null = null;
  const addTurn = (request: RecordedEvent, outcomeSeq: number | null, outcome: Record<string, unknown>) => {
    const body = asRecord(asRecord(request.payload)?.body) ?? {};
    const messages = Array.isArray(body.messages) ? (body.messages as RequestMessage[]) : [];
    const { added, reset } = newMessages(previous, messages);
    previous = messages;
    turns.push({
      request_seq: request.seq,
      turn_seq: outcomeSeq,
      ts: request.ts,
      model: (outcome.model as string) ?? (body.model as string) ?? null,
      outcome: String(outcome.outcome ?? 'streaming'),
      status: (outcome.status as number | null) ?? null,
      system: body.system ?? null,
      new_messages: added,
      context_reset: reset,
      response: (outcome.response as AssistantMessage | null) ?? null,
      usage: (outcome.usage as Usage | null) ?? null,
      cost_usd: (outcome.cost_usd as number | null) ?? null,
      timings: (outcome.timings as ConversationTurn['timings']) ?? null,
      error: (outcome.error as ApiError | null) ?? null,
    });
  };
  for (const event of events) {
    const payload = asRecord(event.payload) ?? {};
    if (event.kind === 'http.request' && isMessagesRequest(payload)) {
      requests.set(event.seq, event);
      continue;
    }
    if (event.kind === 'llm.turn') {
      const request = requests.get(Number(payload.request_seq));
      if (request) {
        requests.delete(request.seq);
        addTurn(request, event.seq, payload);
        continue;
      }
    }
    if (event.kind !== 'http.request')
      other.push({ seq: event.seq, ts: event.ts, kind: event.kind, payload });
    else requests.set(event.seq, event);
  }
  for (const exchange of inflight) {
    const request = requests.get(exchange.request_seq);
    if (request && isMessagesRequest(asRecord(request.payload) ?? {})) {
      addTurn(request, null, asRecord(exchange.partial) ?? {});
    }
  }
  return { turns, other };
}

function isMessagesRequest(payload: Record<string, unknown>): boolean {
  return (
    payload.method === 'POST' && typeof payload.path === 'string' && /\/v1\/messages(\?|$)/.test(payload.path)
  );
}

function newMessages(
  previous: RequestMessage[] | null,
  current: RequestMessage[],
): { added: RequestMessage[]; reset: boolean } {
  if (!previous || previous.length === 0) return { added: current, reset: false };
  const extends_ =
    current.length > previous.length && JSON.stringify(current[0]) === JSON.stringify(previous[0]);
  if (!extends_) return { added: current, reset: true };
  let added = current.slice(previous.length);
  // The previous reply comes back as the next assistant message; it was already shown as that turn's reply.
  if (added[0]?.role === 'assistant') added = added.slice(1);
  return { added, reset: false };
}
