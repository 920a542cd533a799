/**
 * Realistic mirrored sessions for team-server tests and benches: Claude sessions as the Anthropic proxy records
 * them (an `http.request` POST /v1/messages with the conversation, then its `llm.turn` with the assistant
 * message, text and tool_use blocks) and PostgreSQL sessions as the pg proxy records them (`pg.statement` with
 * the SQL, `pg.result` with its tags), as drafts to chain with team-chain.ts `chainEvents` (exactly as an engine chains them) and POST with its
 * `postBatch`.
 */
import type { SessionMeta } from '../../proxy/sync/protocol.js';
import type { DraftEvent } from './team-chain.js';

/** One exchange with Claude: what the user asked, the reply's text, and a Bash command it ran (optional). */
export interface Turn {
  prompt: string;
  reply: string;
  command?: string;
}

/**
 * The two events of a Messages exchange at `ts` (µs), as the Anthropic proxy records them; `requestSeq` is
 * the seq the request event will get.
 */
export function messagesExchange(turn: Turn, ts: number, requestSeq: number): DraftEvent[] {
  const body = {
    model: 'claude-sonnet-4-5',
    max_tokens: 8192,
    system: [{ type: 'text', text: 'You are Claude Code, an interactive CLI tool.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: turn.prompt }] }],
    stream: false,
  };
  const content: unknown[] = [{ type: 'text', text: turn.reply }];
  if (turn.command)
    content.push({
      type: 'tool_use',
      id: `toolu_${requestSeq}`,
      name: 'Bash',
      input: { command: turn.command },
    });
  return [
    {
      ts,
      kind: 'http.request',
      payload: {
        method: 'POST',
        path: '/v1/messages',
        upstream: 'https://api.anthropic.com',
        headers: {
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          'x-api-key': 'sk-ant-…Q9xA #3f2a91c04b7e',
        },
        body,
        body_bytes: JSON.stringify(body).length,
      },
    },
    {
      ts: ts + 850_000,
      kind: 'llm.turn',
      payload: {
        request_seq: requestSeq,
        outcome: 'ok',
        status: 200,
        timings: { headers_us: 420_000, total_us: 850_000 },
        response_headers: { 'content-type': 'application/json', 'request-id': `req_${requestSeq}` },
        response_bytes: 900,
        stream: false,
        model: 'claude-sonnet-4-5',
        response: {
          id: `msg_${requestSeq}`,
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content,
          stop_reason: turn.command ? 'tool_use' : 'end_turn',
          usage: { input_tokens: 1200, output_tokens: 180 },
        },
        stop_reason: turn.command ? 'tool_use' : 'end_turn',
        usage: { input_tokens: 1200, output_tokens: 180 },
        cost_usd: 0.0063,
      },
    },
  ];
}

/** A Claude session's events: one exchange per turn, a second apart from `start` (µs). */
export function claudeSession(turns: Turn[], start: number): DraftEvent[] {
  return turns.flatMap((turn, i) => messagesExchange(turn, start + i * 1_000_000, 2 * i + 1));
}

/** A PostgreSQL session's events: each SQL text as a simple-query statement and its result. */
export function postgresSession(statements: string[], start: number): DraftEvent[] {
  return statements.flatMap((sql, i) => {
    const ts = start + i * 1_000_000;
    const tag = `${sql.trim().split(/\s+/)[0]!.toUpperCase()} 1`;
    return [
      { ts, kind: 'pg.statement', payload: { protocol: 'simple', sql, params: [] } },
      {
        ts: ts + 1_500,
        kind: 'pg.result',
        payload: { statement_seq: 2 * i + 1, outcome: 'ok', tags: [tag], rows: 1, duration_us: 1_500 },
      },
    ];
  });
}

/** The metadata of a session recorded by `person` (a test account), verified, as an engine sends it. */
export function sessionMeta(
  kind: SessionMeta['kind'],
  person: { subject: string; email: string; issuer?: string },
  startedAt: number,
  target = kind === 'postgres' ? 'app/appdb' : 'api.anthropic.com',
): SessionMeta {
  return {
    kind,
    target,
    client: kind === 'postgres' ? 'psql' : 'claude-cli/2.0.0',
    identity: {
      subject: person.subject,
      email: person.email,
      groups: [],
      verified: true,
      os_user: 'dev',
      host: 'laptop',
      ...(person.issuer ? { issuer: person.issuer } : {}),
    },
    started_at: startedAt,
    ended_at: null,
    status: 'live',
    stats: {},
  };
}
