import { describe, expect, it } from 'vitest';
import { type ServerSentEvent, SseParser } from '../../proxy/anthropic/sse.js';

const STREAM =
  'event: message_start\ndata: {"type":"message_start"}\n\n' +
  ': keep-alive comment\r\n' +
  'event: content_block_delta\r\ndata: {"type":"content_block_delta","delta":{"text":"héllo 🌍"}}\r\n\r\n' +
  'event: multi\rdata: line one\rdata: line two\r\r' +
  'data:no-space\n\n' +
  'event: ping\nid: 7\nretry: 10\ndata: {"type": "ping"}\n\n';

const EXPECTED: ServerSentEvent[] = [
  { event: 'message_start', data: '{"type":"message_start"}' },
  { event: 'content_block_delta', data: '{"type":"content_block_delta","delta":{"text":"héllo 🌍"}}' },
  { event: 'multi', data: 'line one\nline two' },
  { event: 'message', data: 'no-space' },
  { event: 'ping', data: '{"type": "ping"}' },
];

describe('SseParser', () => {
  it('parses LF, CRLF and CR line endings, comments and multi-line data', () => {
    const parser = new SseParser();
    expect([...parser.push(Buffer.from(STREAM)), ...parser.end()]).toEqual(EXPECTED);
  });

  it('gives the same events however the bytes are split, even inside UTF-8 characters and CRLF', () => {
    const bytes = Buffer.from(STREAM);
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = new SseParser();
      const events = [
        ...parser.push(bytes.subarray(0, cut)),
        ...parser.push(bytes.subarray(cut)),
        ...parser.end(),
      ];
      expect(events, `split at byte ${cut}`).toEqual(EXPECTED);
    }
    const parser = new SseParser();
    const oneByOne = [...bytes].flatMap((byte) => parser.push(Uint8Array.of(byte)));
    expect(oneByOne).toEqual(EXPECTED);
  });

  it('does not dispatch an event left without its blank line at the end', () => {
    const parser = new SseParser();
    expect(parser.push(Buffer.from('event: x\ndata: 1\n'))).toEqual([]);
    expect(parser.end()).toEqual([]);
  });

  it('drops an endless line instead of growing without bound', () => {
    const parser = new SseParser(1_000);
    parser.push(Buffer.alloc(5_000, 'a'));
    expect(parser.oversizedLines).toBe(1);
    expect(parser.push(Buffer.from('\ndata: ok\n\n'))).toEqual([{ event: 'message', data: 'ok' }]);
  });
});
