import { asRecord, type ContentBlock } from './message.js';

/**
 * `<system-reminder>` elements (Claude Code injects them into user messages and tool results: context, not
 * what the user typed), and one left open at the end of a text.
 */
const SYSTEM_REMINDER = /<system-reminder>[\s\S]*?(?:<\/system-reminder>|$)/g;

/**
 * Searchable text of a Messages request: the user messages it adds to the conversation — those after the
 * last assistant message, or all of them in a first request — with their text blocks and tool results' text.
 * Earlier messages were indexed with the request that added them (clients resend the whole conversation each
 * turn), so each is indexed once. Injected boilerplate stays out: `system`-role messages (Claude Code's
 * "# Environment" note), `<system-reminder>` elements, and any role but `user`.
 */
export function requestSearchText(body: unknown): string {
  const messages = asRecord(body)?.messages;
  if (!Array.isArray(messages)) return '';
  let from = messages.length;
  while (from > 0 && asRecord(messages[from - 1])?.role !== 'assistant') from--;
  const parts: string[] = [];
  for (const item of messages.slice(from)) {
    const message = asRecord(item);
    if (message?.role !== 'user') continue;
    const text = contentText(message.content);
    if (text) parts.push(text);
  }
  return parts.join('\n');
}

/** Searchable text of reply content blocks: text, thinking, tool names and their inputs. */
export function replySearchText(content: readonly ContentBlock[] | undefined): string {
  return contentText(content ?? []);
}

/** Text with every `<system-reminder>` element removed. */
export function withoutSystemReminders(text: string): string {
  return text.includes('<system-reminder>') ? text.replace(SYSTEM_REMINDER, ' ').trim() : text;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return withoutSystemReminders(content);
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const item of content) {
    const block = asRecord(item);
    if (!block) continue;
    if (typeof block.text === 'string') parts.push(withoutSystemReminders(block.text));
    if (typeof block.thinking === 'string') parts.push(block.thinking);
    if (typeof block.name === 'string') parts.push(block.name);
    if (block.input !== undefined) parts.push(JSON.stringify(block.input));
    if (block.type === 'tool_result') parts.push(contentText(block.content));
  }
  return parts.filter((part) => part !== '').join('\n');
}
