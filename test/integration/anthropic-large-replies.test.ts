import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../proxy/store/store.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const MB = 1024 * 1024;
/** Text of a reply whose event stream is about 20 MB (deltas of 200 characters, quotes and non-ASCII in it). */
const TEXT = 'The "quick" brown fox — jumps over the lazy dog; ça va. '.repeat(230_000);
const DELTA_CHARS = 200;

/** What a client read of one streamed reply: every body byte, and the text its deltas carried. */
interface Received {
  status: number;
  bytes: number;
  text: string;
  stopped: boolean;
}

/** POSTs a streamed Messages request with a plain HTTP client and reads the whole reply. */
function streamReply(base: string, session: string): Promise<Received> {
  const body = JSON.stringify({
    model: 'claude-opus-4-1',
    max_tokens: 64_000,
    stream: true,
    messages: [{ role: 'user', content: 'write a very long answer' }],
  });
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/v1/messages`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-api-key': 'sk-ant-api03-largeReplies000000000000000-TEST',
          'anthropic-version': '2023-06-01',
          'x-glassbox-session': session,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          let text = '';
          let stopped = false;
          for (const event of raw.toString('utf8').split('\n\n')) {
            const data = /^data: (.*)$/m.exec(event)?.[1];
            if (!data) continue;
            const parsed = JSON.parse(data) as { type: string; delta?: { text?: string } };
            if (parsed.type === 'content_block_delta') text += parsed.delta?.text ?? '';
            if (parsed.type === 'message_stop') stopped = true;
          }
          resolve({ status: res.statusCode ?? 0, bytes: raw.length, text, stopped });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The sealed turn of a session's (only) exchange. */
function sealedTurn(store: Store, session: string): Record<string, unknown> {
  const id = store.findByExternalId('anthropic', session)!.id;
  const turn = store.listEvents(id).find((event) => event.kind === 'llm.turn');
  return turn!.payload as Record<string, unknown>;
}

function replyText(turn: Record<string, unknown>): string {
  const content = (turn.response as { content: Array<{ text: string }> }).content;
  return content.map((block) => block.text).join('');
}

describe.each([
  { cap: 32 * MB, label: 'under the storage cap' },
  { cap: 8 * MB, label: 'over the storage cap (the default)' },
])('a 20 MB streamed reply, $label', ({ cap }) => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let store: Store;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    mock.setPlan(() => ({
      type: 'message',
      content: [{ type: 'text', text: TEXT }],
      deltaChars: DELTA_CHARS,
    }));
    test = await startTestEngine(mock.url, (config) => {
      config.recording.maxBodyBytes = cap;
    });
    store = test.engine.store;
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
  });

  it('reaches the client whole, is journaled about once per byte, and is sealed as the client got it', async () => {
    const journaled = store.ingestStats.journalBytes;
    const received = await streamReply(test.engine.addresses.anthropicUrl, 'large-reply');
    expect(received.status).toBe(200);
    expect(received.stopped).toBe(true);
    expect(received.bytes).toBeGreaterThan(20 * MB);
    expect(received.text === TEXT).toBe(true);

    // Checkpoints write what is new, the seal writes the reply once: never the square of the reply.
    const turn = sealedTurn(store, 'large-reply');
    const written = store.ingestStats.journalBytes - journaled;
    expect(written).toBeLessThanOrEqual(3 * received.bytes);
    expect(turn).toMatchObject({ outcome: 'complete', response_bytes: received.bytes });
    const recorded = replyText(turn);
    if (Buffer.byteLength(TEXT) <= cap) {
      expect(recorded === received.text).toBe(true);
      expect(turn).not.toHaveProperty('response_truncated');
    } else {
      // Stored up to the cap, with the marker, as a prefix of what the client got.
      expect(turn).toMatchObject({ response_truncated: true });
      expect(Buffer.byteLength(recorded)).toBeLessThanOrEqual(cap);
      expect(Buffer.byteLength(recorded)).toBeGreaterThan(cap - 4 * DELTA_CHARS);
      expect(received.text.startsWith(recorded)).toBe(true);
    }
    expect(store.inflight(store.findByExternalId('anthropic', 'large-reply')!.id)).toEqual([]);
  }, 180_000);
});
