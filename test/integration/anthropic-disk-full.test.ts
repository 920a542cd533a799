/**
 * The Anthropic proxy when the disk fills in the middle of a reply: the client is told (or cut off, once the
 * reply's head is out), and the turn is sealed exactly once as `recording_failed` — not blamed on the
 * upstream, and not left "streaming" for ever — once there is room again.
 *
 * The upstream here is a small server of the test's own, so the disk can fill between a reply's head and its
 * body (a stand-in for the Anthropic API speaking its wire format, as test/helpers/mock-anthropic.ts does).
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { mountSmallDisk, type SmallDisk, smallDiskUnavailable } from '../helpers/tmpfs.js';

const cannotMount = smallDiskUnavailable();
if (cannotMount) console.warn(`skipped: ${cannotMount}`);

/** 64 KiB of text: a line no journal block left over after filling the disk can take. */
const BIG = 'x'.repeat(64 * 1024);

async function eventually<T>(check: () => T | undefined | false, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(cannotMount)('the Anthropic proxy on a disk that fills mid-reply', () => {
  let small: SmallDisk;
  let upstream: Server;
  let test: TestEngine;
  /** The reply the upstream is holding, to finish when the test says so. */
  let held: ServerResponse | undefined;

  beforeAll(async () => {
    const disk = mountSmallDisk(32 * 1024 * 1024);
    if (typeof disk === 'string') throw new Error(disk);
    small = disk;
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const streamed = req.headers['x-test-stream'] === '1';
        res.writeHead(200, { 'content-type': streamed ? 'text/event-stream' : 'application/json' });
        if (streamed) {
          const start = {
            type: 'message_start',
            message: {
              id: 'msg_1',
              type: 'message',
              role: 'assistant',
              model: 'claude-sonnet-4-5',
              content: [],
              stop_reason: null,
              usage: { input_tokens: 1, output_tokens: 0 },
            },
          };
          res.write(`event: message_start\ndata: ${JSON.stringify(start)}\n\n`);
          res.write(
            `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`,
          );
        } else {
          res.flushHeaders();
        }
        held = res;
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const { port } = upstream.address() as AddressInfo;
    test = await startTestEngine(`http://127.0.0.1:${port}`, () => undefined, join(small.dir, 'home'));
  });

  afterAll(async () => {
    small?.free();
    await test?.cleanup();
    upstream?.closeAllConnections();
    upstream?.close();
    small?.unmount();
  });

  const send = (session: string, stream: boolean) =>
    fetch(`${test.engine.addresses.anthropicUrl}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'sk-ant-api03-diskfull',
        'x-glassbox-session': session,
        ...(stream ? { 'x-test-stream': '1' } : {}),
      },
      body: JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        stream,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
  const turnsOf = (session: string): RecordedEvent[] => {
    const found = test.engine.store.findByExternalId('anthropic', session);
    return found ? test.engine.store.listEvents(found.id).filter((e) => e.kind === 'llm.turn') : [];
  };
  const inflightOf = (session: string) => {
    const found = test.engine.store.findByExternalId('anthropic', session);
    return found ? test.engine.store.inflight(found.id) : [];
  };

  it('seals a reply whose own seal was refused as recording_failed once there is room', async () => {
    const reply = send('seal-refused', false);
    await eventually(() => held, 'the upstream to hold the reply');
    small.fill();
    held!.end(
      JSON.stringify({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: BIG }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 1, output_tokens: 1 },
      }),
    );
    held = undefined;
    const response = await reply;
    expect(response.status).toBe(500);
    expect(response.headers.get('x-glassbox-error')).toBe('recording_failed');
    small.free();
    const [turn] = await eventually(() => {
      const turns = turnsOf('seal-refused');
      return turns.length > 0 && turns;
    }, 'the refused seal to be written once there is room');
    expect(turn!.payload).toMatchObject({ outcome: 'recording_failed', error: { type: 'recording_failed' } });
    expect(inflightOf('seal-refused')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(turnsOf('seal-refused')).toHaveLength(1);
  });

  it('seals a stream whose checkpoint was refused as recording_failed, not as the upstream failing', async () => {
    const reply = await send('checkpoint-refused', true);
    expect(reply.status).toBe(200);
    const body = reply.text().catch(() => 'cut off');
    await eventually(() => held, 'the upstream to start the stream');
    small.fill();
    const delta = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: BIG } };
    for (let i = 0; i < 4; i++) held!.write(`event: content_block_delta\ndata: ${JSON.stringify(delta)}\n\n`);
    await body;
    held = undefined;
    small.free();
    const [turn] = await eventually(() => {
      const turns = turnsOf('checkpoint-refused');
      return turns.length > 0 && turns;
    }, 'the stream to be sealed once there is room');
    expect(turn!.payload).toMatchObject({ outcome: 'recording_failed', error: { type: 'recording_failed' } });
    expect(inflightOf('checkpoint-refused')).toEqual([]);
  });
});
