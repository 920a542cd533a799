import type { ContentBlock } from '../../../proxy/api/types';
import { asRecord, type RequestMessage } from './conversation';

/** How a request message is shown: said by the user, by Claude (the model), a system note, or another role. */
export type Speaker = 'user' | 'claude' | 'system' | 'other';

/** A request message (or part of one) as shown: who says it, the label naming them, and what is said. */
export interface ShownMessage {
  speaker: Speaker;
  /** "User", "Claude", "System", or an unknown role as the request named it. */
  label: string;
  /** A string or content blocks, as in the request (system notes: their text, tags removed). */
  content: unknown;
  /** For system notes: `message` for a system-role message, `reminder` for a `<system-reminder>` in a user's. */
  note?: 'message' | 'reminder';
}

/** A `<system-reminder>` element in text (Claude Code injects them into user messages), or one left open. */
const REMINDER = /<system-reminder>([\s\S]*?)(?:<\/system-reminder>|$)/g;

/**
 * Splits a turn's new request messages into what each speaker said: `system`-role messages (Claude Code and
 * the Agent SDK send their environment note so) and `<system-reminder>` elements inside user text become
 * System notes; `assistant` is Claude; any other role keeps its own name, so a role the API adds later is
 * never shown as the model or the user.
 */
export function shownMessages(messages: readonly RequestMessage[]): ShownMessage[] {
  const shown: ShownMessage[] = [];
  for (const message of messages) {
    const role = typeof message.role === 'string' ? message.role : '';
    if (role === 'assistant') shown.push({ speaker: 'claude', label: 'Claude', content: message.content });
    else if (role === 'system')
      shown.push({ speaker: 'system', label: 'System', content: noteText(message.content), note: 'message' });
    else if (role === 'user') shown.push(...splitUser(message.content));
    else shown.push({ speaker: 'other', label: role || '(no role)', content: message.content });
  }
  return shown;
}

/** The text of a system note's content: a string, or its text blocks joined (other blocks as their type). */
export function noteText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return JSON.stringify(content ?? null);
  return content
    .map((b) => {
      const block = asRecord(b);
      return typeof block?.text === 'string' ? block.text : `[${String(block?.type ?? 'block')}]`;
    })
    .join('\n\n');
}

/** A user message's content in order: runs of the user's own blocks, and each reminder as a System note. */
function splitUser(content: unknown): ShownMessage[] {
  const blocks: unknown[] = typeof content === 'string' ? [{ type: 'text', text: content }] : [];
  if (Array.isArray(content)) blocks.push(...content);
  else if (typeof content !== 'string') return [{ speaker: 'user', label: 'User', content }];
  const out: ShownMessage[] = [];
  let run: ContentBlock[] = [];
  const flush = () => {
    if (run.length > 0) out.push({ speaker: 'user', label: 'User', content: run });
    run = [];
  };
  for (const item of blocks) {
    const block = asRecord(item);
    if (
      block?.type !== 'text' ||
      typeof block.text !== 'string' ||
      !block.text.includes('<system-reminder>')
    ) {
      run.push(item as ContentBlock);
      continue;
    }
    let at = 0;
    for (const match of block.text.matchAll(REMINDER)) {
      const before = block.text.slice(at, match.index);
      if (before.trim()) run.push({ ...block, type: 'text', text: before.trim() });
      flush();
      out.push({ speaker: 'system', label: 'System', content: match[1]!.trim(), note: 'reminder' });
      at = match.index + match[0].length;
    }
    const after = block.text.slice(at);
    if (after.trim()) run.push({ ...block, type: 'text', text: after.trim() });
  }
  flush();
  return out;
}
