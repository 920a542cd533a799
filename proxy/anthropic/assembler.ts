import { MAX_NESTING, nestingDepth } from '../common/json-depth.js';
import type { InflightDelta } from '../store/inflight-deltas.js';
import {
  type ApiError,
  type AssistantMessage,
  asRecord,
  asText,
  type ContentBlock,
  type Usage,
} from './message.js';
import type { ServerSentEvent } from './sse.js';

/**
 * A change to the message's content since the last {@link MessageAssembler.takeChanges}, as a delta of the
 * store's in-flight checkpoints (store/inflight-deltas.ts) whose path starts at the message.
 */
export type ContentDelta = InflightDelta;

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
  /** Present when content past the storage cap was dropped (the message holds what came before it). */
  truncated?: true;
}

/** Options of a {@link MessageAssembler}. */
export interface AssemblerOptions {
  /**
   * Bytes of content kept at most (UTF-8 of the text, thinking, signatures and tool input fragments, the JSON
   * of block starts and citations); content past it is dropped and the stream marked `truncated`. Default:
   * no cap.
   */
  capBytes?: number;
  /** Keep a log of content changes for {@link MessageAssembler.takeChanges} (checkpoints by what is new). */
  trackChanges?: boolean;
}

/** Text streamed into one field of one block since the last settle: its pieces, joined once. */
interface PendingText {
  index: number;
  field: 'text' | 'thinking' | 'signature';
  pieces: string[];
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
 *
 * Streamed text is gathered in pieces and joined into its block once per {@link MessageAssembler.snapshot}
 * or {@link MessageAssembler.takeChanges} (a string concatenation, not a copy of the text so far), so the
 * work per event does not grow with the message. Content is kept up to `capBytes` (see AssemblerOptions).
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
  private readonly pending = new Map<string, PendingText>();
  private readonly capBytes: number;
  /** Bytes of content kept so far (see AssemblerOptions.capBytes). */
  private keptBytes = 0;
  /** Content changes not yet taken, when tracked. */
  private changes: ContentDelta[] | undefined;
  /** Indexes of blocks started and not stopped yet. */
  private readonly open = new Set<number>();

  constructor(options: AssemblerOptions = {}) {
    this.capBytes = options.capBytes ?? Number.POSITIVE_INFINITY;
    if (options.trackChanges) this.changes = [];
  }

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
    this.settleText();
    return this.state;
  }

  /** True while the block at `index` has started and not stopped: its text may still grow. */
  isOpen(index: number): boolean {
    return this.open.has(index);
  }

  /** Parses tool inputs of blocks that never got their `content_block_stop` (stream cut short). */
  finish(): AssembledStream {
    for (const index of [...this.partialJson.keys()]) this.settleToolInput(index);
    this.settleText();
    return this.state;
  }

  /**
   * The content changes since the last call, in order, as deltas whose paths start at the message
   * (`["content", 0, "text"]`): a block's start, the text streamed into each field (one `append` per field
   * per call), a tool input once parsed, a citation. Empty unless constructed with `trackChanges`.
   */
  takeChanges(): ContentDelta[] {
    this.settleText();
    const changes = this.changes ?? [];
    if (this.changes) this.changes = [];
    return changes;
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
    if (!this.keep(Buffer.byteLength(JSON.stringify(block)))) return { boundary: true, output: false };
    this.settleText();
    if (isStreamedInputBlock(block)) this.partialJson.set(index, '');
    content[index] = block;
    this.open.add(index);
    // A copy: text is added to the block itself later, and reaches checkpoints as appends.
    this.changes?.push({ at: ['content', index], set: { ...block } });
    return { boundary: true, output: false };
  }

  private blockDelta(data: Record<string, unknown>): AssemblerStep {
    const index = typeof data.index === 'number' ? data.index : -1;
    const delta = asRecord(data.delta) ?? {};
    const block = this.state.message.content[index];
    if (!block) {
      // Past the cap, blocks are dropped: their deltas are expected.
      if (!this.state.truncated) this.anomaly(`delta for unknown content block ${index}`);
      return { boundary: false, output: !!this.state.truncated };
    }
    switch (delta.type) {
      case 'text_delta':
        this.addText(index, 'text', asText(delta.text));
        break;
      case 'thinking_delta':
        this.addText(index, 'thinking', asText(delta.thinking));
        break;
      case 'signature_delta':
        this.addText(index, 'signature', asText(delta.signature));
        break;
      case 'input_json_delta': {
        const fragment = this.keepText(asText(delta.partial_json));
        if (this.partialJson.has(index) || fragment)
          this.partialJson.set(index, (this.partialJson.get(index) ?? '') + fragment);
        break;
      }
      case 'citations_delta':
        if (!this.keep(Buffer.byteLength(JSON.stringify(delta.citation) ?? ''))) break;
        this.settleText();
        block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation];
        this.changes?.push({ at: ['content', index, 'citations'], push: delta.citation });
        break;
      default:
        this.anomaly(`unknown delta type ${asText(delta.type ?? 'none')}`);
    }
    return { boundary: false, output: true };
  }

  private blockStop(data: Record<string, unknown>): AssemblerStep {
    if (typeof data.index === 'number') {
      this.settleToolInput(data.index);
      this.open.delete(data.index);
    }
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
    this.settleText();
    const field = this.parseToolInput(index, block, json);
    if (field) this.changes?.push({ at: ['content', index, field], set: block[field] });
  }

  /** Sets a block's tool input from its streamed JSON; returns the field set, if any. */
  private parseToolInput(
    index: number,
    block: ContentBlock,
    json: string,
  ): 'input' | 'input_raw' | undefined {
    if (json.trim() === '') {
      if (block.input !== undefined) return undefined;
      block.input = {};
      return 'input';
    }
    try {
      const input: unknown = JSON.parse(json);
      if (nestingDepth(input) > MAX_NESTING) {
        block.input_raw = json;
        this.anomaly(`tool input of block ${index} is nested deeper than ${MAX_NESTING} levels`);
        return 'input_raw';
      }
      block.input = input;
      return 'input';
    } catch {
      block.input_raw = json;
      this.anomaly(`tool input of block ${index} is not valid JSON`);
      return 'input_raw';
    }
  }

  /** Adds streamed text to a block's field (kept up to the cap), as a piece joined at the next settle. */
  private addText(index: number, field: PendingText['field'], text: string): void {
    const kept = this.keepText(text);
    if (!kept) return;
    const key = `${index}:${field}`;
    const pending = this.pending.get(key);
    if (pending) pending.pieces.push(kept);
    else this.pending.set(key, { index, field, pieces: [kept] });
  }

  /** Joins the pieces of streamed text into their blocks (and the change log), in the order they came. */
  private settleText(): void {
    if (this.pending.size === 0) return;
    for (const { index, field, pieces } of this.pending.values()) {
      const block = this.state.message.content[index];
      if (!block) continue;
      const text = pieces.join('');
      block[field] = asText(block[field]) + text;
      this.changes?.push({ at: ['content', index, field], append: text });
    }
    this.pending.clear();
  }

  /** Takes `bytes` more of content under the cap; false (and the stream marked truncated) when over. */
  private keep(bytes: number): boolean {
    if (this.state.truncated) return false;
    if (this.keptBytes + bytes <= this.capBytes) {
      this.keptBytes += bytes;
      return true;
    }
    this.state.truncated = true;
    return false;
  }

  /** The part of `text` that still fits under the cap (cut on a character boundary), counted as kept. */
  private keepText(text: string): string {
    if (this.state.truncated || text === '') return '';
    const bytes = Buffer.byteLength(text);
    if (this.keep(bytes)) return text;
    let fitting = Buffer.from(text)
      .subarray(0, this.capBytes - this.keptBytes)
      .toString('utf8');
    // A character cut in two decodes as U+FFFD (3 bytes): drop it.
    if (Buffer.byteLength(fitting) > this.capBytes - this.keptBytes) fitting = fitting.slice(0, -1);
    this.keptBytes += Buffer.byteLength(fitting);
    return fitting;
  }

  private anomaly(text: string): void {
    if (this.state.anomalies.length < MAX_ANOMALIES)
      this.state.anomalies.push(text.slice(0, MAX_ANOMALY_CHARS));
  }
}

function isStreamedInputBlock(block: ContentBlock): boolean {
  return block.type === 'tool_use' || block.type === 'server_tool_use' || block.type === 'mcp_tool_use';
}
