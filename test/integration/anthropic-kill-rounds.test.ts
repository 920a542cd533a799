import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServe, waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { MockAnthropic, type MockRequest } from '../helpers/mock-anthropic.js';

const ROUNDS = 3;
/** Concurrent streams per round: half get a stream that never ends, half never get a response head. */
const STREAMS = 10;

/** The user prompt of a request the mock received. */
function prompt(request: MockRequest): string {
  const body = request.body as { messages?: Array<{ content?: unknown }> } | null;
  return String(body?.messages?.[0]?.content ?? '');
}

describe('repeated kill -9 during concurrent streams', () => {
  let mock: MockAnthropic;
  let home: string;
  beforeAll(async () => {
    mock = await MockAnthropic.start({ eventDelayMs: 10 });
    mock.setPlan((request) =>
      prompt(request).startsWith('silent')
        ? { type: 'silent' }
        : { type: 'stall', text: 'partial words ', deltas: 100_000 },
    );
    home = tempHome();
  });
  afterAll(async () => {
    await mock.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('seals every interrupted turn with the seq of its own request, whether or not its reply had begun', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const serve = await spawnServe(home, mock.url);
      const client = new Anthropic({ baseURL: serve.anthropicUrl, apiKey: 'sk-ant-test', maxRetries: 0 });
      const received: string[] = Array.from({ length: STREAMS }, () => '');
      const before = mock.requests.length;
      for (let i = 0; i < STREAMS; i++) {
        const kind = i % 2 === 0 ? 'silent' : 'stall';
        const stream = client.messages.stream(
          {
            model: 'claude-opus-4-1',
            max_tokens: 100,
            messages: [{ role: 'user', content: `${kind} ${round}.${i}` }],
          },
          // Two sessions per round, so concurrent exchanges of one session are in flight together.
          { headers: { 'x-claude-code-session-id': `kill-${round}-${i % 3}` } },
        );
        stream.on('error', () => undefined);
        stream.on('text', (text) => {
          received[i] += text;
        });
      }
      // Every request forwarded (so recorded), every begun reply seen by its client.
      await waitFor(() => mock.requests.length === before + STREAMS, 20_000, 'requests to reach the mock');
      await waitFor(
        () => received.every((text, i) => i % 2 === 0 || text.length > 30),
        20_000,
        'streamed text to reach the clients',
      );
      serve.child.kill('SIGKILL');
      expect(await serve.exited).toBe('SIGKILL');
    }
    // The next start recovers the last round (each start recovered the round before it).
    const last = await spawnServe(home, mock.url);
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);

    const db = new Database(join(home, 'glassbox.db'), { readonly: true });
    try {
      const turns = db
        .prepare(
          `SELECT t.session_id, t.seq, json_extract(t.payload, '$.request_seq') AS ref,
                  json_extract(t.payload, '$.outcome') AS outcome,
                  json_extract(t.payload, '$.response.content[0].text') AS text,
                  r.kind AS request_kind,
                  json_extract(r.payload, '$.body.messages[0].content') AS prompt
           FROM events t LEFT JOIN events r ON r.session_id = t.session_id
             AND r.seq = json_extract(t.payload, '$.request_seq')
           WHERE t.kind = 'llm.turn' ORDER BY t.session_id, t.seq`,
        )
        .all() as Array<{
        session_id: string;
        ref: number;
        outcome: string;
        text: string | null;
        request_kind: string | null;
        prompt: string | null;
      }>;
      const requests = db
        .prepare(`SELECT session_id || '#' || seq AS id FROM events WHERE kind = 'http.request'`)
        .pluck()
        .all() as string[];
      expect(turns).toHaveLength(ROUNDS * STREAMS);
      expect(turns.every((turn) => turn.outcome === 'interrupted')).toBe(true);
      // The join: each turn names its own request, in its own session, and no two turns name the same one.
      expect(turns.filter((turn) => turn.request_kind !== 'http.request')).toEqual([]);
      expect(new Set(turns.map((turn) => `${turn.session_id}#${turn.ref}`))).toEqual(new Set(requests));
      // A stream that had begun keeps its block (checkpointed before the client saw it) and the deltas
      // checkpointed after it; one with no head has no reply.
      for (const turn of turns) {
        if (turn.prompt?.startsWith('stall')) expect(turn.text).toMatch(/^(partial words )*$/);
        else expect(turn.text).toBeNull();
      }
      const live = db.prepare(`SELECT count(*) FROM sessions WHERE status = 'live'`).pluck().get();
      expect(live).toBe(0);
    } finally {
      db.close();
    }
  }, 120_000);
});
