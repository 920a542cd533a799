import { asRecord, type ContentBlock } from '../anthropic/message.js';
import {
  buildConversation,
  type ConversationTurn,
  type OtherEntry,
  type RequestMessage,
} from '../anthropic/transcript.js';
import type { InflightExchange, RecordedEvent, Session } from '../store/types.js';
import { clip, clock, count, counted, dollars, duration, hang, timestamp } from './format.js';
import { identityLine } from './identity-text.js';
import { approvalLine } from './show-approvals.js';
import { renderStatementLog } from './show-postgres.js';

const LABEL = 13;
const PAD = ' '.repeat(LABEL + 2);

/**
 * Renders a session as a readable transcript for `glassbox show`: a header with identity and totals, then for
 * a Claude session each turn — what the user (or tool results) added, the assistant's text, thinking
 * (collapsed), tool calls with their input, stop reason, tokens, cost and timings.
 */
export function renderSession(
  session: Session,
  events: RecordedEvent[],
  inflight: InflightExchange[],
): string {
  const lines: string[] = [...header(session)];
  if (session.kind === 'postgres') {
    lines.push('', ...renderStatementLog(events));
    return `${lines.join('\n')}\n`;
  }
  const { turns, other } = buildConversation(events, inflight);
  const entries: Array<{ seq: number; render: () => string[] }> = [
    ...turns.map((turn, i) => ({ seq: turn.request_seq, render: () => renderTurn(turn, i + 1) })),
    ...other.map((entry) => ({ seq: entry.seq, render: () => renderOther(entry) })),
  ].sort((a, b) => a.seq - b.seq);
  for (const entry of entries) lines.push('', ...entry.render());
  if (entries.length === 0) lines.push('', '(no events recorded yet)');
  return `${lines.join('\n')}\n`;
}

function header(session: Session): string[] {
  const s = session.stats;
  const ended = session.ended_at ?? session.last_event_at;
  return [
    `Session ${session.id} · ${session.kind} · ${session.status}`,
    row('target', session.target),
    row('client', session.client ?? '—'),
    ...(session.external_id ? [row('external id', session.external_id)] : []),
    row('identity', identityLine(session.identity)),
    ...(session.identity.credential ? [row('credential', session.identity.credential)] : []),
    row('started', `${timestamp(session.started_at)} · lasted ${duration(ended - session.started_at)}`),
    row(
      'totals',
      session.kind === 'postgres'
        ? `${counted(s.statements, 'statement')} · ${counted(s.rows, 'row')} · ${counted(s.errors, 'error')}`
        : `${counted(s.turns, 'turn')} · ${counted(s.requests, 'request')} · ${count(s.input_tokens)} in / ${count(s.output_tokens)} out tokens · ${totalCost(s)} · ${counted(s.errors, 'error')}`,
    ),
  ];
}

function renderTurn(turn: ConversationTurn, n: number): string[] {
  const t = turn.timings;
  const timing =
    t?.total_us != null ? ` · ${duration(t.total_us)} (first token ${duration(t.first_token_us)})` : '';
  const lines = [
    `─── Turn ${n} · ${turn.model ?? 'unknown model'} · ${clock(turn.ts)} · ${turn.outcome}${turn.status ? ` ${turn.status}` : ''}${timing}`,
  ];
  if (turn.system !== null && (n === 1 || turn.context_reset))
    lines.push(row('system', collapsed(textOf(turn.system))));
  if (turn.context_reset)
    lines.push(row('context', 'new conversation context (not a continuation of the previous turn)'));
  for (const message of turn.new_messages) lines.push(...renderMessage(message));
  if (turn.response) {
    for (const block of turn.response.content) lines.push(...renderBlock('assistant', block));
    const u = turn.usage;
    const cache = u
      ? ` · cache ${count(u.cache_read_input_tokens)} read / ${count(u.cache_creation_input_tokens)} written`
      : '';
    lines.push(
      row(
        'stop',
        `${turn.response.stop_reason ?? '—'} · ${count(u?.input_tokens)} in / ${count(u?.output_tokens)} out${cache} · ${turn.cost_usd === null ? `no price for ${turn.model ?? 'this model'}` : dollars(turn.cost_usd)}`,
      ),
    );
  }
  if (turn.error) lines.push(row('error', `${turn.error.type}: ${turn.error.message}`));
  return lines;
}

function renderMessage(message: RequestMessage): string[] {
  const role =
    message.role === 'assistant' ? 'assistant' : message.role === 'system' ? 'system note' : 'user';
  if (typeof message.content === 'string') {
    return [row(role, role === 'system note' ? collapsed(message.content) : message.content)];
  }
  if (!Array.isArray(message.content)) return [];
  return message.content.flatMap((block) =>
    renderBlock(role, (asRecord(block) ?? { type: 'unknown' }) as ContentBlock),
  );
}

function renderBlock(role: string, block: ContentBlock): string[] {
  switch (block.type) {
    case 'text': {
      const text = block.text ?? '';
      // Claude Code injects context as <system-reminder> text in user messages; it is not what the user typed.
      if (role === 'system note' || /^\s*<system-reminder>/.test(text))
        return [row('system note', collapsed(text))];
      return [row(role, text)];
    }
    case 'thinking':
      return [row(role, `▸ thinking ${collapsed(block.thinking ?? '')}`)];
    case 'redacted_thinking':
      return [row(role, '▸ redacted thinking')];
    case 'tool_use':
    case 'server_tool_use':
    case 'mcp_tool_use':
      return [
        row('tool call', `${block.name ?? '?'} (${block.id ?? '?'})`),
        `${PAD}${hang(JSON.stringify(block.input ?? block.input_raw ?? {}, null, 2), PAD)}`,
      ];
    case 'tool_result': {
      const label = block.is_error ? 'tool error' : 'tool result';
      return [row(label, `(${String(block.tool_use_id ?? '?')}) ${clip(textOf(block.content), 2_000)}`)];
    }
    case 'image':
    case 'document':
      return [row(role, `[${block.type}]`)];
    default:
      return [row(role, `[${block.type}] ${clip(JSON.stringify(block), 500)}`)];
  }
}

function renderOther(entry: OtherEntry): string[] {
  const p = entry.payload;
  switch (entry.kind) {
    case 'http.request':
      return [`─── ${clock(entry.ts)} ${String(p.method)} ${String(p.path)} (no reply recorded yet)`];
    case 'http.exchange': {
      const timings = asRecord(p.timings);
      return [
        `─── ${clock(entry.ts)} reply to #${String(p.request_seq)} · ${String(p.outcome)} ${String(p.status ?? '')} · ${duration(timings?.total_us as number)}`,
      ];
    }
    case 'llm.turn':
      return [`─── ${clock(entry.ts)} reply to #${String(p.request_seq)} · ${String(p.outcome)}`];
    case 'http.client_error':
      return [`─── ${clock(entry.ts)} malformed request on the proxy port: ${String(p.code ?? p.message)}`];
    case 'session.end':
      return [`─── ${clock(entry.ts)} session ended (${String(p.reason)})`];
    case 'approval.requested':
    case 'approval.annotated':
    case 'approval.decided':
      return [`─── ${clock(entry.ts)} ${approvalLine(entry.kind, p) ?? ''}`];
    case 'guard.flagged': {
      const rule = asRecord(p.rule);
      const would = p.action === 'block' ? 'block' : 'hold';
      return [
        `─── ${clock(entry.ts)} guard would ${would} ${String(p.tool)} in reply to #${String(p.request_seq)}: ${clip(String(p.summary), 300)} (rule ${String(rule?.id)}; not enforced without the hook)`,
      ];
    }
    case 'guard.check': {
      const rule = asRecord(p.rule);
      const by = rule ? ` (rule ${String(rule.id)})` : '';
      return [
        `─── ${clock(entry.ts)} guard ${String(p.tool)}: ${clip(String(p.text), 300)} → ${String(p.decision)}${by}`,
      ];
    }
    default:
      return [`─── ${clock(entry.ts)} ${entry.kind} ${clip(JSON.stringify(p), 300)}`];
  }
}

function totalCost(stats: Session['stats']): string {
  const unpriced = stats.unpriced_turns ?? 0;
  if (!unpriced) return dollars(stats.cost_usd);
  return `${dollars(stats.cost_usd)} + ${count(unpriced)} unpriced turns (add their model to "prices" in config.json)`;
}

function row(label: string, text: string): string {
  return `  ${label.padEnd(LABEL)}${hang(text, PAD)}`;
}

function collapsed(text: string): string {
  return `[collapsed, ${count(text.length)} chars]`;
}

/** Plain text of a string, a list of content blocks, or anything else (as JSON). */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    return value
      .map((item) =>
        typeof asRecord(item)?.text === 'string' ? String(asRecord(item)!.text) : JSON.stringify(item),
      )
      .join('\n');
  }
  return value === null || value === undefined ? '' : JSON.stringify(value);
}
