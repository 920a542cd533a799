/**
 * Shapes of the Anthropic Messages API as Glassbox records them (Anthropic API reference, "Messages" and
 * "Streaming Messages"). Only the fields Glassbox reads are typed; everything else is kept as it came.
 */

/** Token usage as reported in `message_start` and `message_delta` events or a JSON reply. */
export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null;
  server_tool_use?: Record<string, number> | null;
  [key: string]: unknown;
}

/** A content block: text, thinking, redacted_thinking, tool_use, server_tool_use, *_tool_result, … */
export interface ContentBlock {
  type: string;
  text?: string;
  thinking?: string;
  signature?: string;
  data?: string;
  id?: string;
  name?: string;
  input?: unknown;
  citations?: unknown[];
  [key: string]: unknown;
}

/** An assistant message, whole (JSON reply) or reconstructed from a stream. */
export interface AssistantMessage {
  id?: string;
  type?: string;
  role?: string;
  model?: string;
  content: ContentBlock[];
  stop_reason?: string | null;
  stop_sequence?: string | null;
  usage?: Usage;
  [key: string]: unknown;
}

/** The `error` object of an Anthropic error body or mid-stream `error` event. */
export interface ApiError {
  type: string;
  message: string;
}

/**
 * A field of upstream JSON as text without ever throwing: strings as they are, null/undefined as '', anything
 * else as its JSON (String() would run an object's own toString, which may throw or lie).
 */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}

/** Returns `value` as a plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
