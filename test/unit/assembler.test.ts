import { describe, expect, it } from 'vitest';
import { MessageAssembler } from '../../proxy/anthropic/assembler.js';

const ev = (data: Record<string, unknown>) => ({ event: String(data.type), data: JSON.stringify(data) });

function run(events: Array<Record<string, unknown> | string>) {
  const assembler = new MessageAssembler();
  const steps = events.map((e) => assembler.apply(typeof e === 'string' ? { event: 'x', data: e } : ev(e)));
  return { result: assembler.finish(), steps };
}

describe('MessageAssembler', () => {
  it('rebuilds text, thinking with signature, redacted thinking and tool_use from deltas', () => {
    const { result } = run([
      {
        type: 'message_start',
        message: {
          id: 'msg_1',
          model: 'claude-opus-4-5',
          role: 'assistant',
          content: [],
          usage: { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 5 },
        },
      },
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me ' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'think.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBsig' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'redacted_thinking', data: 'opaque' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'ping' },
      { type: 'content_block_start', index: 2, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'Running ' } },
      { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 'it.' } },
      { type: 'content_block_stop', index: 2 },
      {
        type: 'content_block_start',
        index: 3,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} },
      },
      { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '' } },
      {
        type: 'content_block_delta',
        index: 3,
        delta: { type: 'input_json_delta', partial_json: '{"command": "ls' },
      },
      { type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: ' -la"}' } },
      { type: 'content_block_stop', index: 3 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { output_tokens: 42 },
      },
      { type: 'message_stop' },
    ]);
    expect(result.complete).toBe(true);
    expect(result.message).toMatchObject({
      id: 'msg_1',
      model: 'claude-opus-4-5',
      stop_reason: 'tool_use',
      usage: { input_tokens: 10, output_tokens: 42, cache_read_input_tokens: 5 },
      content: [
        { type: 'thinking', thinking: 'Let me think.', signature: 'EqQBsig' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Running it.' },
        { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls -la' } },
      ],
    });
    expect(result.event_counts).toMatchObject({ ping: 1, content_block_delta: 8 });
    expect(result.anomalies).toEqual([]);
  });

  it('keeps server tool blocks as they come and parses their streamed input', () => {
    const { result } = run([
      { type: 'message_start', message: { id: 'm', content: [] } },
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} },
      },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: '{"query":"glassbox"}' },
      },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'content_block_start',
        index: 1,
        content_block: {
          type: 'web_search_tool_result',
          tool_use_id: 'srvtoolu_1',
          content: [{ type: 'web_search_result', url: 'https://example.com' }],
        },
      },
      { type: 'content_block_stop', index: 1 },
    ]);
    expect(result.message.content).toEqual([
      { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'glassbox' } },
      {
        type: 'web_search_tool_result',
        tool_use_id: 'srvtoolu_1',
        content: [{ type: 'web_search_result', url: 'https://example.com' }],
      },
    ]);
    expect(result.complete).toBe(false);
  });

  it('records a mid-stream error event', () => {
    const { result, steps } = run([
      { type: 'message_start', message: { id: 'm', content: [] } },
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    ]);
    expect(result.error).toEqual({ type: 'overloaded_error', message: 'Overloaded' });
    expect(steps[1]!.boundary).toBe(true);
  });

  it('survives garbage: unparsable data, unknown deltas, deltas for missing blocks, broken tool JSON', () => {
    const { result } = run([
      '{not json',
      { type: 'content_block_delta', index: 5, delta: { type: 'text_delta', text: 'orphan' } },
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 't', name: 'X', input: {} },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'mystery_delta' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'brand_new_event' },
    ]);
    expect(result.anomalies).toHaveLength(4);
    expect(Object.keys(result.message.content)).toEqual(['0']);
    expect(result.message.content[0]).toMatchObject({ type: 'tool_use', input_raw: '{"a":' });
    expect(result.event_counts.brand_new_event).toBe(1);
  });

  it('marks only content deltas as output and only block edges as boundaries', () => {
    const { steps } = run([
      { type: 'message_start', message: { content: [] } },
      { type: 'ping' },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a' } },
    ]);
    expect(steps.map((s) => [s.boundary, s.output])).toEqual([
      [false, false],
      [false, false],
      [true, false],
      [false, true],
    ]);
  });

  it('settles tool input of a stream cut before content_block_stop', () => {
    const { result } = run([
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 't', name: 'X', input: {} },
      },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: '{"done":true}' },
      },
    ]);
    expect(result.message.content[0]!.input).toEqual({ done: true });
  });
});
