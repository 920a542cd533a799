/**
 * Realistic mirrored sessions for the server benchmark: hash-chained exactly as an engine's store chains them
 * (proxy/sync/protocol.ts chainHash over canonical JSON), with payloads shaped like the engine's — an
 * Anthropic session alternates `http.request` (a Claude Code Messages request, ~2.6 KB: system prompt, a turn
 * with a tool call and its output, the tool list) and `llm.turn` (the reply, ~1 KB); a PostgreSQL session
 * alternates `pg.statement` (~0.2 KB) and `pg.result` (5 sampled rows, ~0.6 KB). Words vary by seq, so the
 * server's full-text index sees a realistic vocabulary rather than one repeated document. Payloads go out with
 * their keys in canonical order, as the engine's mirror sends what its store holds.
 */
import { canonicalJson, chainHash, type EventBatch, type WireEvent } from '../../../proxy/sync/protocol.js';

const WORDS = (
  'invoice customer refund shipment warehouse ledger payroll migration index vacuum replica tenant quota ' +
  'checkout cart discount coupon subscription renewal webhook retry backoff timeout latency histogram ' +
  'deploy rollback canary feature flag toggle audit compliance retention export import schema column'
).split(' ');

const word = (n: number) => WORDS[n % WORDS.length]!;
const phrase = (seed: number, length: number) =>
  Array.from({ length }, (_, i) => word(seed * 31 + i * 7 + (seed >> 3))).join(' ');

const SYSTEM =
  'You are Claude Code, an interactive CLI tool that helps users with software engineering tasks. ' +
  'Use the instructions below and the tools available to you to assist the user. Keep answers short; ' +
  'prefer editing existing files; never commit unless asked; run the tests after a change.';

const TOOLS = [
  {
    name: 'Bash',
    description: 'Executes a given bash command in a persistent shell session with optional timeout.',
    input_schema: {
      type: 'object',
      properties: { command: { type: 'string' }, timeout: { type: 'number' } },
      required: ['command'],
    },
  },
  {
    name: 'Edit',
    description: 'Performs exact string replacements in files.',
    input_schema: {
      type: 'object',
      properties: {
        file_path: { type: 'string' },
        old_string: { type: 'string' },
        new_string: { type: 'string' },
      },
      required: ['file_path', 'old_string', 'new_string'],
    },
  },
];

function messagesRequest(seq: number): unknown {
  const id = `toolu_${(seq * 2654435761).toString(36)}`;
  return {
    method: 'POST',
    path: '/v1/messages',
    headers: {
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
      'user-agent': 'claude-cli/2.0.14',
    },
    body: {
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 32000,
      stream: true,
      system: [{ type: 'text', text: SYSTEM }],
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: `Find why the ${phrase(seq, 12)} job fails and fix it.` }],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: `Let me look at the ${phrase(seq + 1, 6)} code first.` },
            {
              type: 'tool_use',
              id,
              name: 'Bash',
              input: { command: `grep -rn "${word(seq)}" src/ | head -20` },
            },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: id,
              content: Array.from(
                { length: 8 },
                (_, i) => `src/${word(seq + i)}.ts:${10 + i}: ${phrase(seq + i, 8)}`,
              ).join('\n'),
            },
          ],
        },
      ],
      tools: TOOLS,
    },
    masked: {},
  };
}

function messagesReply(seq: number): unknown {
  return {
    request_seq: seq - 1,
    status: 200,
    duration_us: 1_800_000 + (seq % 997) * 1000,
    message: {
      id: `msg_${(seq * 40503).toString(36)}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [
        {
          type: 'text',
          text: `The ${phrase(seq, 10)} path retries without a ${word(seq + 3)}; I will change it.`,
        },
        {
          type: 'tool_use',
          id: `toolu_${(seq * 97).toString(36)}`,
          name: 'Edit',
          input: {
            file_path: `src/${word(seq)}.ts`,
            old_string: phrase(seq, 5),
            new_string: phrase(seq + 2, 6),
          },
        },
      ],
      stop_reason: 'tool_use',
      usage: {
        input_tokens: 14_200 + (seq % 500),
        output_tokens: 180 + (seq % 90),
        cache_read_input_tokens: 13_900,
      },
    },
  };
}

function pgStatement(seq: number): unknown {
  return {
    protocol: 'extended',
    sql: `SELECT id, ${word(seq)}_id, email, total, created_at FROM ${word(seq + 5)}s WHERE customer_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT 20`,
    params: [
      { format: 'text', value: String(1000 + (seq % 9000)), type_oid: 23 },
      { format: 'text', value: word(seq + 9), type_oid: 25 },
    ],
  };
}

function pgResult(seq: number): unknown {
  return {
    statement_seq: seq - 1,
    outcome: 'complete',
    tags: ['SELECT 20'],
    rows: 20,
    duration_us: 300 + (seq % 700),
    columns: [
      { name: 'id', type_oid: 20 },
      { name: `${word(seq)}_id`, type_oid: 20 },
      { name: 'email', type_oid: 25 },
      { name: 'total', type_oid: 1700 },
      { name: 'created_at', type_oid: 1184 },
    ],
    sample: Array.from({ length: 5 }, (_, i) => [
      String(seq * 10 + i),
      String(1000 + i),
      '[MASKED:column.email]',
      `${(seq % 400) + i}.95`,
      `2026-12-0${1 + (i % 6)} 10:${10 + i}:00+00`,
    ]),
    sample_truncated: true,
    masked: { 'column.email': 5 },
  };
}

/** One session's metadata and its events as request bodies, ready to post in order. */
export interface PreparedSession {
  id: string;
  events: number;
  /** `EventBatch` JSON texts, `batch` events each (the last may hold fewer). */
  bodies: string[];
  /** Events per body, in order. */
  sizes: number[];
}

/**
 * A session of `events` events of `kind` owned by `login`, chained from the session id (seq 1's previous hash,
 * as in the engine's store), cut into batches of `batch` events.
 */
export function prepareSession(
  id: string,
  kind: 'anthropic' | 'postgres',
  login: string,
  events: number,
  batch: number,
): PreparedSession {
  const start = 1_765_000_000_000_000;
  let prev = id;
  const all: WireEvent[] = [];
  for (let seq = 1; seq <= events; seq++) {
    const even = seq % 2 === 0;
    const eventKind =
      kind === 'anthropic' ? (even ? 'llm.turn' : 'http.request') : even ? 'pg.result' : 'pg.statement';
    const payload =
      kind === 'anthropic'
        ? even
          ? messagesReply(seq)
          : messagesRequest(seq)
        : even
          ? pgResult(seq)
          : pgStatement(seq);
    const ts = start + seq * 1000;
    const text = canonicalJson(payload);
    const hash = chainHash(prev, seq, ts, eventKind, text);
    // An engine's mirror sends payloads as its store holds them, parsed from their canonical text: keys sorted.
    all.push({ seq, ts, kind: eventKind, payload: JSON.parse(text) as unknown, hash });
    prev = hash;
  }
  const session: EventBatch['session'] = {
    kind,
    target: kind === 'anthropic' ? 'api.anthropic.com' : 'shop',
    client: kind === 'anthropic' ? 'claude-cli' : 'psql',
    identity: {
      subject: login,
      email: `${login}@example.test`,
      groups: [],
      verified: true,
      os_user: 'dev',
      host: 'laptop',
    },
    started_at: start,
    ended_at: null,
    status: 'live',
    stats: {},
  };
  const bodies: string[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < all.length; i += batch) {
    const events = all.slice(i, i + batch);
    bodies.push(JSON.stringify({ session, events } satisfies EventBatch));
    sizes.push(events.length);
  }
  return { id, events, bodies, sizes };
}
