/**
 * Which Claude session is driving a PostgreSQL session, and what its user last asked (issue 17, point 5): the
 * approver of a held statement sees the prompt that led to it.
 *
 * Heuristic (nothing on the wire ties a PostgreSQL connection to a Claude session): of the Claude sessions
 * recorded by this engine — so on this machine — that are `live` and have recorded an event within the last
 * {@link DRIVING_WINDOW_US} (10 minutes), the one whose last event is the most recent. Its latest prompt is
 * the last user text of its most recent Messages request that offered tools (the agent's own loop; Claude
 * Code's side requests — titles, summaries — offer none), or of its most recent request when none did:
 * the last `text` block (or string content) of a `user` message, skipping tool results and Claude Code's
 * injected `<system-reminder>` blocks. The text is read from the store, so it is masked as recorded.
 */
import type { Store } from '../../store/store.js';

/** A Claude session counts as driving when it recorded an event this recently, µs. */
export const DRIVING_WINDOW_US = 10 * 60 * 1_000_000;
/** Longest prompt carried into an approval, characters (the rest is cut, marked with …). */
export const MAX_PROMPT_CHARS = 2_000;
/** Events read back from the session's head looking for its latest request. */
const LOOK_BACK = 200;
/** Live Claude sessions considered at most. */
const MAX_SESSIONS = 100;

/** The driving session's latest prompt, as an approval's context carries it. */
export interface DrivingPrompt {
  prompt: string;
  prompt_session_id: string;
}

/**
 * The latest prompt of the Claude session taken to be driving now (see the heuristic above), or undefined
 * when no live Claude session was active within `windowUs` or none of its recent requests has user text.
 * Reads only the store; never throws on what a recorded request holds.
 */
export function drivingPrompt(
  store: Store,
  nowUs: number,
  windowUs = DRIVING_WINDOW_US,
): DrivingPrompt | undefined {
  let best: { id: string; last: number } | undefined;
  for (const session of store.listSessions({ kind: 'anthropic', status: 'live', limit: MAX_SESSIONS })) {
    const last = store.liveness(session.id)?.last_event_at ?? session.last_event_at;
    if (nowUs - last > windowUs) continue;
    if (!best || last > best.last) best = { id: session.id, last };
  }
  if (!best) return undefined;
  const head = store.getSession(best.id)?.head_seq ?? 0;
  const events = store.listEvents(best.id, Math.max(0, head - LOOK_BACK), LOOK_BACK);
  let fallback: string | undefined;
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (event.kind !== 'http.request') continue;
    const body = record(record(event.payload)?.body);
    if (!body || !Array.isArray(body.messages)) continue;
    const prompt = lastUserText(body.messages);
    if (prompt === undefined) continue;
    if (Array.isArray(body.tools) && body.tools.length > 0)
      return { prompt: cut(prompt), prompt_session_id: best.id };
    fallback ??= prompt;
  }
  return fallback === undefined ? undefined : { prompt: cut(fallback), prompt_session_id: best.id };
}

/** The last user text of a Messages request's `messages`, or undefined when there is none. */
export function lastUserText(messages: unknown[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = record(messages[i]);
    if (message?.role !== 'user') continue;
    const { content } = message;
    if (typeof content === 'string') {
      if (content.trim()) return content;
      continue;
    }
    if (!Array.isArray(content)) continue;
    for (let j = content.length - 1; j >= 0; j--) {
      const block = record(content[j]);
      if (block?.type !== 'text' || typeof block.text !== 'string') continue;
      const text = block.text.trim();
      if (text && !text.startsWith('<system-reminder>')) return block.text;
    }
  }
  return undefined;
}

function cut(text: string): string {
  return text.length > MAX_PROMPT_CHARS ? `${text.slice(0, MAX_PROMPT_CHARS)}…` : text;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
