import { memo } from 'react';
import { compact, dollars, duration, prettyJson } from '../format';
import { Fold } from '../ui/Fold';
import { MessageContent } from './Blocks';
import type { OtherEvent, Turn } from './conversation';
import { Retries } from './Retries';
import { type ShownMessage, shownMessages } from './speakers';

/** Text of a system prompt: a string or text blocks. */
function systemText(system: unknown): string {
  if (typeof system === 'string') return system;
  if (Array.isArray(system))
    return system.map((b) => String((b as { text?: unknown }).text ?? '')).join('\n\n');
  return prettyJson(system);
}

/**
 * Model, tokens, cost, time to first token and duration of a turn, as one dense line; a retried turn lasts
 * from its first attempt to the end of its last (`1.71 s over 3 attempts`).
 */
function TurnMeta({ turn }: { turn: Turn }) {
  const u = turn.usage;
  const cacheRead = u?.cache_read_input_tokens ?? 0;
  const cacheWrite = u?.cache_creation_input_tokens ?? 0;
  return (
    <div className="turn-meta">
      <span className="mono">{turn.model ?? 'unknown model'}</span>
      <span title="input / output tokens">
        {compact(u?.input_tokens)} in · {compact(u?.output_tokens)} out
      </span>
      {cacheRead || cacheWrite ? (
        <span title="cache read / written tokens">
          cache {compact(cacheRead)} read · {compact(cacheWrite)} written
        </span>
      ) : null}
      <span title="estimated cost">
        {turn.costUsd === null && turn.turnSeq !== null && turn.usage ? 'unpriced' : dollars(turn.costUsd)}
      </span>
      <span title="time to first token">TTFT {duration(turn.timings?.first_token_us)}</span>
      <span title="total duration">
        {turn.retries.length
          ? `${duration(turn.endTs === null ? null : turn.endTs - turn.ts)} over ${turn.retries.length + 1} attempts`
          : duration(turn.timings?.total_us)}
      </span>
      {turn.outcome !== 'complete' ? (
        <span className={`outcome outcome-${turn.outcome}`}>{turn.outcome}</span>
      ) : null}
    </div>
  );
}

/** The first line of a note (at most 140 characters), for its collapsed summary. */
function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 140 ? `${line.slice(0, 140)}…` : line;
}

/** A message of the request: the user's words, Claude's, a collapsed System note, or another role's. */
function ShownMessageView({ message }: { message: ShownMessage }) {
  if (message.speaker === 'system') {
    const text = String(message.content);
    const kb = (new TextEncoder().encode(text).length / 1024).toFixed(1);
    return (
      <section className="msg msg-system" data-testid="system-note">
        <div className="role">System</div>
        <div className="msg-body">
          <Fold
            label={message.note === 'reminder' ? 'system reminder' : `system message · ${kb} KB`}
            summary={firstLine(text)}
            className="system-note"
          >
            <div className="plain muted">{text}</div>
          </Fold>
        </div>
      </section>
    );
  }
  const claude = message.speaker === 'claude';
  return (
    <section className={`msg msg-${claude ? 'assistant' : message.speaker}`}>
      <div className="role">{message.label}</div>
      <div className="msg-body">
        <MessageContent content={message.content} speaker={claude ? 'assistant' : 'user'} />
      </div>
    </section>
  );
}

/**
 * One turn of a Claude conversation: system prompt (collapsed, when it changed), what the request added (the
 * user's words and tool results, System notes collapsed, any other role by its name), the attempts of a
 * retried request, Claude's reply block by block, errors; `pending` while replay has not reached its end.
 */
export const TurnView = memo(function TurnView({
  turn,
  index,
  pending,
}: {
  turn: Turn;
  index: number;
  pending: boolean;
}) {
  return (
    <article className="turn" data-testid="turn" data-seq={turn.requestSeq}>
      <header className="turn-head">
        <span className="turn-no">Turn {index}</span>
        <TurnMeta turn={turn} />
      </header>
      {turn.systemChanged && turn.system ? (
        <Fold label="System prompt" summary={systemText(turn.system).slice(0, 140)} className="system">
          <div className="plain muted">{systemText(turn.system)}</div>
        </Fold>
      ) : null}
      {turn.contextReset ? (
        <div className="note">New context (the request did not continue the previous turn)</div>
      ) : null}
      {shownMessages(turn.newMessages).map((message, i) => (
        <ShownMessageView key={i} message={message} />
      ))}
      <Retries turn={turn} />
      {pending ? (
        <div className="waiting">Claude is responding…</div>
      ) : turn.turnSeq === null ? (
        <>
          {turn.response && turn.response.content.length > 0 ? (
            <section className="msg msg-assistant" data-testid="partial-reply">
              <div className="role">Claude</div>
              <div className="msg-body">
                <MessageContent content={turn.response.content} speaker="assistant" />
              </div>
            </section>
          ) : null}
          <div className="waiting">reply streaming…</div>
        </>
      ) : (
        <>
          {turn.response && turn.response.content.length > 0 ? (
            <section className="msg msg-assistant">
              <div className="role">Claude</div>
              <div className="msg-body">
                <MessageContent content={turn.response.content} speaker="assistant" />
                {turn.response.stop_reason && turn.response.stop_reason !== 'end_turn' ? (
                  <div className="faint small">stop: {turn.response.stop_reason}</div>
                ) : null}
              </div>
            </section>
          ) : null}
          {turn.error ? (
            <div className="error-box" data-testid="turn-error">
              <strong>{turn.error.type}</strong> {turn.error.message}
              {turn.status ? <span className="faint"> · HTTP {turn.status}</span> : null}
            </div>
          ) : null}
        </>
      )}
    </article>
  );
});

/** A recorded event that is not a Messages turn (another API path, a client error, session end). */
export function OtherEventView({ event }: { event: OtherEvent }) {
  const p = event.payload;
  const text =
    event.kind === 'session.end'
      ? `session ended (${String(p.reason ?? '')})`
      : event.kind === 'http.exchange'
        ? `${String(p.status ?? '')} ${String(p.outcome ?? '')} exchange`
        : event.kind === 'http.request'
          ? `${String(p.method ?? '')} ${String(p.path ?? '')}`
          : `${event.kind} ${JSON.stringify(p).slice(0, 200)}`;
  return (
    <div className="event-line">
      <span className="faint mono">#{event.seq}</span> <span className="mono">{event.kind}</span> {text}
    </div>
  );
}
