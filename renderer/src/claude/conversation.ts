import type {
  AnthropicError,
  AssistantMessage,
  InflightExchange,
  RecordedEvent,
  Usage,
} from '../../../proxy/api/types';

/** A message of a Messages API request: role plus a string or content blocks. */
export interface RequestMessage {
  role: string;
  content: unknown;
}

/** One request/reply pair of a Claude session as a person reads it. Times µs since epoch, durations µs. */
export interface Turn {
  /** seq of the `http.request` event. */
  requestSeq: number;
  /** seq of the `llm.turn` event, or null while it is still in flight. */
  turnSeq: number | null;
  /** When the request was recorded. */
  ts: number;
  /** When the reply ended (request time + total), or null while streaming. */
  endTs: number | null;
  model: string | null;
  /** complete, error, aborted, incomplete, interrupted, streaming… */
  outcome: string;
  status: number | null;
  system: unknown;
  /** Whether `system` differs from the previous turn's (shown again only then). */
  systemChanged: boolean;
  /** Messages this request added since the previous turn (the echo of the previous reply left out). */
  newMessages: RequestMessage[];
  /** True when the request did not extend the previous conversation. */
  contextReset: boolean;
  response: AssistantMessage | null;
  usage: Usage | null;
  costUsd: number | null;
  timings: { headers_us: number | null; first_token_us: number | null; total_us: number | null } | null;
  error: AnthropicError | null;
  /** The recorded request and outcome payloads, exactly as stored. */
  rawRequest: unknown;
  rawOutcome: unknown;
  /**
   * Earlier attempts at this same request that failed before the client sent it again (oldest first); the
   * turn itself is the latest attempt, dated from the first (`ts`) to the latest's end (`endTs`).
   */
  retries: Attempt[];
  /** The latest attempt alone (its own request seq and time): the turn itself when it was not retried. */
  lastAttempt: Attempt;
}

/** One attempt at a request the client retried: its request and outcome seqs, times (µs) and how it ended. */
export interface Attempt {
  requestSeq: number;
  turnSeq: number | null;
  ts: number;
  endTs: number | null;
  model: string | null;
  outcome: string;
  status: number | null;
  error: AnthropicError | null;
}

/** Any other event of a Claude session, shown as a one-line entry. */
export interface OtherEvent {
  seq: number;
  ts: number;
  kind: string;
  payload: Record<string, unknown>;
}

/** An entry of the conversation view, in seq order. */
export type ConversationItem = { type: 'turn'; turn: Turn } | { type: 'event'; event: OtherEvent };

/** Returns `value` as a plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Pairs `http.request` events of POST /v1/messages with their `llm.turn` outcomes (or the in-flight partial)
 * and works out what each turn added, since clients resend the whole conversation every turn.
 * @returns the entries in seq order
 */
export function buildConversation(
  events: readonly RecordedEvent[],
  inflight: readonly InflightExchange[] = [],
): ConversationItem[] {
  const requests = new Map<number, RecordedEvent>();
  const items: Array<ConversationItem & { seq: number }> = [];
  for (const event of events) {
    const payload = asRecord(event.payload) ?? {};
    if (event.kind === 'http.request') {
      requests.set(event.seq, event);
      continue;
    }
    const request = event.kind === 'llm.turn' ? requests.get(Number(payload.request_seq)) : undefined;
    if (request && isMessagesRequest(request)) {
      requests.delete(request.seq);
      items.push({ type: 'turn', seq: request.seq, turn: turnOf(request, event.seq, payload) });
    } else {
      items.push({
        type: 'event',
        seq: event.seq,
        event: { seq: event.seq, ts: event.ts, kind: event.kind, payload },
      });
    }
  }
  for (const exchange of inflight) {
    const request = requests.get(exchange.request_seq);
    if (request && isMessagesRequest(request)) {
      requests.delete(request.seq);
      items.push({
        type: 'turn',
        seq: request.seq,
        turn: turnOf(request, null, asRecord(exchange.partial) ?? {}),
      });
    }
  }
  // Requests with no outcome at all yet (recorded, reply not even started).
  for (const request of requests.values()) {
    if (isMessagesRequest(request))
      items.push({ type: 'turn', seq: request.seq, turn: turnOf(request, null, {}) });
  }
  items.sort((a, b) => a.seq - b.seq);
  return linkTurns(items);
}

function turnOf(request: RecordedEvent, outcomeSeq: number | null, outcome: Record<string, unknown>): Turn {
  const body = asRecord(asRecord(request.payload)?.body) ?? {};
  const timings = (outcome.timings as Turn['timings']) ?? null;
  const turn: Omit<Turn, 'lastAttempt'> = {
    requestSeq: request.seq,
    turnSeq: outcomeSeq,
    ts: request.ts,
    endTs: outcomeSeq !== null ? request.ts + (timings?.total_us ?? 0) : null,
    model: (outcome.model as string) ?? (body.model as string) ?? null,
    outcome: outcomeSeq === null ? 'streaming' : String(outcome.outcome ?? 'complete'),
    status: (outcome.status as number | null) ?? null,
    system: body.system ?? null,
    systemChanged: true,
    newMessages: Array.isArray(body.messages) ? (body.messages as RequestMessage[]) : [],
    contextReset: false,
    response: (outcome.response as AssistantMessage | null) ?? null,
    usage: (outcome.usage as Usage | null) ?? null,
    costUsd: (outcome.cost_usd as number | null) ?? null,
    timings,
    error: (outcome.error as AnthropicError | null) ?? null,
    rawRequest: request.payload,
    rawOutcome: outcomeSeq === null ? null : outcome,
    retries: [],
  };
  return { ...turn, lastAttempt: attemptOf(turn) };
}

/**
 * Replaces each turn's full message list by what it added to the previous turn's, and folds a request the
 * client sent again after it failed (the same messages: Claude Code retrying an error or an unreachable
 * upstream) into one turn with its attempts.
 * @returns the items, each retry folded into the turn it retries
 */
function linkTurns(items: ConversationItem[]): ConversationItem[] {
  const linked: ConversationItem[] = [];
  let previous: {
    item: ConversationItem & { type: 'turn' };
    messages: RequestMessage[];
  } | null = null;
  for (const item of items) {
    if (item.type !== 'turn') {
      linked.push(item);
      continue;
    }
    const turn = item.turn;
    const messages = turn.newMessages;
    if (previous && isRetryOf(turn, previous.item.turn.lastAttempt, messages, previous.messages)) {
      const first = previous.item.turn;
      previous.item.turn = {
        ...turn,
        requestSeq: first.requestSeq,
        ts: first.ts,
        system: first.system,
        systemChanged: first.systemChanged,
        newMessages: first.newMessages,
        contextReset: first.contextReset,
        retries: [...first.retries, first.lastAttempt],
      };
      continue;
    }
    const { added, reset } = newMessages(previous?.messages ?? null, messages);
    turn.newMessages = added;
    turn.contextReset = reset;
    turn.systemChanged =
      !previous || JSON.stringify(previous.item.turn.system) !== JSON.stringify(turn.system);
    previous = { item, messages };
    linked.push(item);
  }
  return linked;
}

/** Whether `turn` resends the request of attempt `before`, which failed: the same messages, sent again. */
function isRetryOf(
  turn: Turn,
  before: Attempt,
  messages: RequestMessage[],
  beforeMessages: RequestMessage[],
): boolean {
  if (before.turnSeq === null || before.outcome === 'complete' || messages.length === 0) return false;
  return turn.requestSeq > before.requestSeq && JSON.stringify(messages) === JSON.stringify(beforeMessages);
}

/** One turn (not yet folded with others) as an attempt. */
function attemptOf(turn: Omit<Turn, 'lastAttempt'>): Attempt {
  return {
    requestSeq: turn.requestSeq,
    turnSeq: turn.turnSeq,
    ts: turn.ts,
    endTs: turn.endTs,
    model: turn.model,
    outcome: turn.outcome,
    status: turn.status,
    error: turn.error,
  };
}

function isMessagesRequest(event: RecordedEvent): boolean {
  const payload = asRecord(event.payload) ?? {};
  return (
    payload.method === 'POST' && typeof payload.path === 'string' && /\/v1\/messages(\?|$)/.test(payload.path)
  );
}

function newMessages(
  previous: RequestMessage[] | null,
  current: RequestMessage[],
): { added: RequestMessage[]; reset: boolean } {
  if (!previous || previous.length === 0) return { added: current, reset: false };
  const extendsPrevious =
    current.length > previous.length && JSON.stringify(current[0]) === JSON.stringify(previous[0]);
  if (!extendsPrevious) return { added: current, reset: true };
  let added = current.slice(previous.length);
  // The previous reply comes back as the next assistant message; it was already shown as that turn's reply.
  if (added[0]?.role === 'assistant') added = added.slice(1);
  return { added, reset: false };
}
