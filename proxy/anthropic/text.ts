import { asRecord, type ContentBlock } from './message.js';

/**
 * Searchable text of a Messages request: only its newest message (earlier ones were indexed with earlier
 * turns, since clients resend the whole conversation each turn), including tool results.
 */
export function requestSearchText(body: unknown): string {
  const messages = asRecord(body)?.messages;
  if (!Array.isArray(messages) || messages.length === 0) return '';
  return contentText(asRecord(messages[messages.length - 1])?.content);
}

/** Searchable text of reply content blocks: text, thinking, tool names and their inputs. */
export function replySearchText(content: readonly ContentBlock[] | undefined): string {
  return contentText(content ?? []);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const item of content) {
    const block = asRecord(item);
    if (!block) continue;
    if (typeof block.text === 'string') parts.push(block.text);
    if (typeof block.thinking === 'string') parts.push(block.thinking);
    if (typeof block.name === 'string') parts.push(block.name);
    if (block.input !== undefined) parts.push(JSON.stringify(block.input));
    if (block.type === 'tool_result') parts.push(contentText(block.content));
  }
  return parts.join('\n');
}
