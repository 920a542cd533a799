import { MAX_NESTING, nestingDepth } from '../common/json-depth.js';
import {
  type ApiError,
  type AssistantMessage,
  asRecord,
  asText,
  type ContentBlock,
  type Usage,
} from './message.js';
import type { ServerSentEvent } from './sse.js';

/** What the assembler has rebuilt so far from a Messages stream. */
export interface AssembledStream {
  message: AssistantMessage;
  /** A mid-stream `event: error` (e.g. overloaded_error), if one came. */
  error?: ApiError;
  /** True once `message_stop` arrived. */
  complete: boolean;
  /** Count of each event type seen, e.g. { ping: 3, content_block_delta: 41 }. */
  event_counts: Record<string, number>;
  /** Events or tool inputs that could not be parsed; kept raw (capped) so nothing is silently dropped. */
  anomalies: string[];
}

/** Text every event that {@link MessageAssembler.apply} treats as a boundary must contain. */
const BOUNDARY_MARKERS = ['content_block_start', 'content_block_stop', 'error', '\\u'];

/**
 * False only when no event that `chunk` completes can be a boundary ({@link AssemblerStep.boundary}), decided
 * conservatively on the text, before parsing: the event in progress (`pending`, see SseParser.pending) plus the
 * chunk must not name a boundary type (`content_block_start`, `content_block_stop`, `error`) nor hold a `\u`
 * escape that could spell one. Such a chunk may be relayed before the assembler sees it.
 */
export function mayCompleteBoundary(pending: string, chunk: Buffer): boolean {
  const text = pending + chunk.toString('latin1');
  return BOUNDARY_MARKERS.some((marker) => text.includes(marker));
}

/** What one event changed, so the recorder knows when to checkpoint. */
export interface AssemblerStep {
  /**
   * A content block started or stopped, or an error arrived: worth a durable checkpoint before relaying.
   * (message_start carries no content yet; message_delta and message_stop are followed by the seal.)
   */
  boundary: boolean;
  /** The event carried model output (a content delta): marks time to first token. */
  output: boolean;
}

const MAX_ANOMALIES = 20;
const MAX_ANOMALY_CHARS = 2_000;

/**
 * Rebuilds an assistant message from the Messages API's streaming events (Anthropic API reference,
 * "Streaming Messages"): `message_start`, `content_block_start`, `content_block_delta` (text_delta,
 * thinking_delta, signature_delta, input_json_delta, citations_delta), `content_block_stop`,
 * `message_delta` (stop_reason, stop_sequence, cumulative usage), `message_stop`, `ping` and `error`.
 *
 * Tool inputs streamed as `input_json_delta` fragments are parsed at `content_block_stop`. Server tool blocks
 * (server_tool_use, web_search_tool_result, …) are kept as they come. Unknown event or delta types are
 * counted and never fatal; unparsable data is kept in `anomalies`.
 */
export class MessageAssembler {
  private readonly state: AssembledStream = {
    message: { content: [] },
    complete: false,
    // No prototype: an event type such as "constructor" or "__proto__" is counted like any other.
    event_counts: Object.create(null) as Record<string, number>,
    anomalies: [],
  };
  private readonly partialJson = new Map<number, string>();

  /** Applies one server-sent event. */
  apply(sse: ServerSentEvent): AssemblerStep {
    let parsed: unknown;
    try {
      parsed = JSON.parse(sse.data);
    } catch {
      this.anomaly(`unparsable data for event "${sse.event}": ${sse.data}`);
      return { boundary: false, output: false };
    }
    // The store serialises records recursively, so JSON this deep cannot be recorded (as request bodies are).
    if (nestingDepth(parsed) > MAX_NESTING) {
      this.anomaly(`data for event "${sse.event}" nested deeper than ${MAX_NESTING} levels: ${sse.data}`);
      return { boundary: false, output: false };
    }
    const data = asRecord(parsed) ?? {};
    const type = typeof data.type === 'string' ? data.type : sse.event;
    this.state.event_counts[type] = (this.state.event_counts[type] ?? 0) + 1;
    switch (type) {
      case 'message_start':
        return this.messageStart(data);
      case 'content_block_start':
        return this.blockStart(data);
      case 'content_block_delta':
        return this.blockDelta(data);
      case 'content_block_stop':
        return this.blockStop(data);
      case 'message_delta':
        return this.messageDelta(data);
      case 'message_stop':
        this.state.complete = true;
        return { boundary: false, output: false };
      case 'error': {
        const error = asRecord(data.error);
        this.state.error = {
          type: typeof error?.type === 'string' ? error.type : 'unknown_error',
          message: typeof error?.message === 'string' ? error.message : sse.data,
        };
        return { boundary: true, output: false };
      }
      default:
        return { boundary: false, output: false };
    }
  }

  /** The message so far; call {@link MessageAssembler.finish} first at the end of the stream. */
  snapshot(): AssembledStream {
    return this.state;
  }

  /** Parses tool inputs of blocks that never got their `content_block_stop` (stream cut short). */
  finish(): AssembledStream {
    for (const index of [...this.partialJson.keys()]) this.settleToolInput(index);
    return this.state;
  }

  private messageStart(data: Record<string, unknown>): AssemblerStep {
    const message = asRecord(data.message);
    if (message) {
      const { content: _ignored, ...rest } = message;
      this.state.message = { ...rest, content: this.state.message.content } as AssistantMessage;
    }
    return { boundary: false, output: false };
  }

  private blockStart(data: Record<string, unknown>): AssemblerStep {
    const content = this.state.message.content;
    let index = typeof data.index === 'number' && Number.isInteger(data.index) ? data.index : content.length;
    if (index > content.length || index < 0) {
      // Blocks arrive in index order; a gap means events were lost. Keep the array dense for storage.
      this.anomaly(`content_block_start for index ${index} while ${content.length} blocks exist`);
      index = content.length;
    }
    const block = { ...(asRecord(data.content_block) ?? { type: 'unknown' }) } as ContentBlock;
    if (isStreamedInputBlock(block)) this.partialJson.set(index, '');
    content[index] = block;
    return { boundary: true, output: false };
  }

  private blockDelta(data: Record<string, unknown>): AssemblerStep {
    const index = typeof data.index === 'number' ? data.index : -1;
    const delta = asRecord(data.delta) ?? {};
    const block = this.state.message.content[index];
    if (!block) {
      this.anomaly(`delta for unknown content block ${index}`);
      return { boundary: false, output: false };
    }
    switch (delta.type) {
      case 'text_delta':
        block.text = asText(block.text) + asText(delta.text);
        break;
      case 'thinking_delta':
        block.thinking = asText(block.thinking) + asText(delta.thinking);
        break;
      case 'signature_delta':
        block.signature = asText(block.signature) + asText(delta.signature);
        break;
      case 'input_json_delta':
        this.partialJson.set(index, (this.partialJson.get(index) ?? '') + asText(delta.partial_json));
        break;
      case 'citations_delta':
        block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation];
        break;
      default:
        this.anomaly(`unknown delta type ${asText(delta.type ?? 'none')}`);
    }
    return { boundary: false, output: true };
  }

  private blockStop(data: Record<string, unknown>): AssemblerStep {
    if (typeof data.index === 'number') this.settleToolInput(data.index);
    return { boundary: true, output: false };
  }

  private messageDelta(data: Record<string, unknown>): AssemblerStep {
    const delta = asRecord(data.delta) ?? {};
    if ('stop_reason' in delta) this.state.message.stop_reason = delta.stop_reason as string | null;
    if ('stop_sequence' in delta) this.state.message.stop_sequence = delta.stop_sequence as string | null;
    const usage = asRecord(data.usage);
    if (usage) {
      // message_delta usage is cumulative; fields it carries replace those of message_start. Spread and
      // fromEntries define own fields, so a "__proto__" field stays data instead of replacing the prototype.
      const carried = Object.entries(usage).filter(([, value]) => value !== null && value !== undefined);
      const merged: Usage = { ...(this.state.message.usage ?? {}), ...Object.fromEntries(carried) };
      this.state.message.usage = merged;
    }
    return { boundary: false, output: false };
  }

  private settleToolInput(index: number): void {
    const json = this.partialJson.get(index);
    if (json === undefined) return;
    this.partialJson.delete(index);
    const block = this.state.message.content[index];
    if (!block) return;
    if (json.trim() === '') {
      block.input ??= {};
      return;
    }
    try {
      const input: unknown = JSON.parse(json);
      if (nestingDepth(input) > MAX_NESTING) {
        block.input_raw = json;
        this.anomaly(`tool input of block ${index} is nested deeper than ${MAX_NESTING} levels`);
        return;
      }
      block.input = input;
    } catch {
      block.input_raw = json;
      this.anomaly(`tool input of block ${index} is not valid JSON`);
    }
  }

  private anomaly(text: string): void {
    if (this.state.anomalies.length < MAX_ANOMALIES)
      this.state.anomalies.push(text.slice(0, MAX_ANOMALY_CHARS));
  }
}

function isStreamedInputBlock(block: ContentBlock): boolean {
  return block.type === 'tool_use' || block.type === 'server_tool_use' || block.type === 'mcp_tool_use';
}
