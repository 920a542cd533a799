import { asRecord, type ContentBlock } from './message.js';

/**
 * `<system-reminder>` elements (Claude Code injects them into user messages and tool results: context, not
 * what the user typed), and one left open at the end of a text.
 */
const SYSTEM_REMINDER = /<system-reminder>[\s\S]*?(?:<\/system-reminder>|$)/g;

/**
 * Searchable text of a Messages request: the user messages it adds to the conversation — those after the
 * last assistant message (a prefilled one at the very end aside), or all of them in a first request — with
 * their text blocks and tool results' text.
 * Earlier messages were indexed with the request that added them (clients resend the whole conversation each
 * turn), so each is indexed once. Injected boilerplate stays out: `system`-role messages (Claude Code's
 * "# Environment" note), `<system-reminder>` elements, and any role but `user`.
 */
export function requestSearchText(body: unknown): string {
  const messages = asRecord(body)?.messages;
  if (!Array.isArray(messages)) return '';
  const isReply = (item: unknown) => asRecord(item)?.role === 'assistant';
  // A last assistant message is a prefill (the start of the reply asked for), not a reply to skip past.
  const end =
    messages.length > 0 && isReply(messages[messages.length - 1]) ? messages.length - 1 : messages.length;
  let from = end;
  while (from > 0 && !isReply(messages[from - 1])) from--;
  const parts: string[] = [];
  for (const item of messages.slice(from, end)) {
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
