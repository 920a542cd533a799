import { describe, expect, it } from 'vitest';
import { MessageAssembler } from '../../proxy/anthropic/assembler.js';
import { CheckpointDeltas } from '../../proxy/anthropic/checkpoint.js';
import { initialOutcomeState, type OutcomeState, outcomePayload } from '../../proxy/anthropic/outcome.js';
import { applyDeltas, type InflightDelta } from '../../proxy/store/inflight-deltas.js';

const ev = (data: Record<string, unknown>) => ({ event: String(data.type), data: JSON.stringify(data) });

/** A Messages stream with every kind of block change: thinking, text, a tool call, a citation. */
const STREAM: Array<Record<string, unknown>> = [
  {
    type: 'message_start',
    message: { id: 'msg_1', model: 'claude-opus-4-1', role: 'assistant', content: [] },
  },
  { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me ' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'think.' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBsig' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  ...Array.from({ length: 30 }, (_, i) => ({
    type: 'content_block_delta',
    index: 1,
    delta: { type: 'text_delta', text: `word "${i}" é ` },
  })),
  {
    type: 'content_block_delta',
    index: 1,
    delta: { type: 'citations_delta', citation: { type: 'char_location', cited_text: 'x' } },
  },
  { type: 'content_block_stop', index: 1 },
  {
    type: 'content_block_start',
    index: 2,
    content_block: { type: 'tool_use', id: 't1', name: 'Bash', input: {} },
  },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"command":' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: ' "ls"}' } },
  { type: 'content_block_stop', index: 2 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 42 } },
  { type: 'message_stop' },
];

function streamingState(assembler: MessageAssembler): OutcomeState {
  const state = initialOutcomeState(
    { requestSeq: 7, isMessages: true, maxBodyBytes: 1 << 20, prices: {} },
    { model: 'claude-opus-4-1', stream: true },
  );
  state.status = 200;
  state.assembler = assembler;
  return state;
}

describe('applyDeltas', () => {
  it('sets, appends, pushes and unsets along paths, creating what is missing', () => {
    const partial = applyDeltas({ request_seq: 3 }, [
      { at: ['response', 'content', 0], set: { type: 'text', text: '' } },
      { at: ['response', 'content', 0, 'text'], append: 'hel' },
      { at: ['response', 'content', 0, 'text'], append: 'lo' },
      { at: ['response', 'content', 0, 'citations'], push: 1 },
      { at: ['response', 'content', 0, 'citations'], push: 2 },
      { at: ['status'], set: 200 },
      { at: ['request_seq'], unset: true },
      { at: [], merge: { outcome: 'streaming', model: 'm' } },
      { at: ['response'], merge: { id: 'msg_1' } },
      { at: ['usage'], merge: { input_tokens: 3 } },
    ]);
    expect(partial).toEqual({
      status: 200,
      outcome: 'streaming',
      model: 'm',
      usage: { input_tokens: 3 },
      response: { id: 'msg_1', content: [{ type: 'text', text: 'hello', citations: [1, 2] }] },
    });
  });

  it('skips malformed deltas and paths outside the JSON data model, and keeps __proto__ as data', () => {
    const partial = applyDeltas({ a: 'text' }, [
      null,
      'x',
      { at: [], set: 1 },
      { at: 'a', set: 1 },
      { at: ['a', 'b'], set: 1 }, // a key on a string
      { at: ['list', 5], set: 1 }, // past the end of a new array
      { at: ['list', 0], set: 'first' },
      { at: ['list', 1_000_000], set: 'far' },
      { at: ['__proto__'], set: { polluted: true } },
      { at: ['x'], append: 42 },
      { at: ['list'], merge: { a: 1 } }, // not an object
      { at: [], merge: ['not', 'fields'] },
    ]);
    expect(JSON.stringify(partial)).toBe('{"a":"text","list":["first"],"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(partial)).toBe(Object.prototype);
    expect(applyDeltas('not an object', [{ at: ['k'], set: 1 }])).toEqual({ k: 1 });
  });
});

describe('MessageAssembler changes', () => {
  it('rebuilds the same content from its changes, however the stream is cut into checkpoints', () => {
    for (const every of [1, 2, 3, 7, STREAM.length]) {
      const assembler = new MessageAssembler({ trackChanges: true });
      const rebuilt: Record<string, unknown> = {};
      STREAM.forEach((event, i) => {
        assembler.apply(ev(event));
        if (i % every === every - 1) applyDeltas(rebuilt, assembler.takeChanges());
      });
      applyDeltas(rebuilt, assembler.takeChanges());
      expect(rebuilt).toEqual({ content: assembler.finish().message.content });
    }
  });

  it('sends each streamed character once: one append per field per checkpoint', () => {
    const assembler = new MessageAssembler({ trackChanges: true });
    for (const event of STREAM.slice(0, 12)) assembler.apply(ev(event));
    const changes = assembler.takeChanges();
    expect(changes.filter((change) => 'append' in change)).toEqual([
      { at: ['content', 0, 'thinking'], append: 'Let me think.' },
      { at: ['content', 0, 'signature'], append: 'EqQBsig' },
      { at: ['content', 1, 'text'], append: 'word "0" é word "1" é word "2" é word "3" é word "4" é ' },
    ]);
    expect(assembler.takeChanges()).toEqual([]);
  });

  it('keeps content up to its cap, cut on a character boundary, and marks the stream truncated', () => {
    const assembler = new MessageAssembler({ capBytes: 100, trackChanges: true });
    const steps = STREAM.map((event) => assembler.apply(ev(event)));
    const result = assembler.finish();
    expect(result.truncated).toBe(true);
    const kept = JSON.stringify(result.message.content);
    expect(Buffer.byteLength(kept)).toBeLessThan(200);
    const text = String(result.message.content[1]?.text);
    expect(text.length).toBeGreaterThan(0);
    expect(
      STREAM.filter((e) => (e.delta as { text?: string })?.text)
        .map((e) => (e.delta as { text: string }).text)
        .join(''),
    ).toContain(text);
    expect(text).not.toContain('\uFFFD');
    // Dropped blocks are expected, not anomalies; deltas still count as output.
    expect(result.anomalies).toEqual([]);
    expect(result.message.content).toHaveLength(2);
    expect(steps.filter((step) => step.output)).toHaveLength(36);
    expect(result.message.stop_reason).toBe('tool_use');
  });
});

describe('CheckpointDeltas', () => {
  it('writes what changed since the last checkpoint, which rebuilds the payload a full checkpoint had', () => {
    const assembler = new MessageAssembler({ trackChanges: true });
    const state = streamingState(assembler);
    const checkpoints = new CheckpointDeltas();
    const partial: Record<string, unknown> = { request_seq: 7, outcome: 'streaming' };
    const sizes: number[] = [];
    for (const event of STREAM) {
      assembler.apply(ev(event));
      state.bytesForwarded += 100;
      const deltas = checkpoints.next(state);
      sizes.push(deltas.length);
      applyDeltas(partial, JSON.parse(deltas));
      checkpoints.confirm();
    }
    expect(partial).toEqual(JSON.parse(JSON.stringify(outcomePayload(state, 'streaming'))));
    // Thirty text deltas: each checkpoint carries its own few characters and counters, not the text so far.
    const textCheckpoints = sizes.slice(7, 37);
    expect(Math.max(...textCheckpoints)).toBeLessThan(300);
    expect(Math.max(...textCheckpoints) - Math.min(...textCheckpoints)).toBeLessThan(20);
    // Nothing new: nothing to write.
    expect(
      (JSON.parse(checkpoints.next(state)) as InflightDelta[]).filter(
        (d) => !('set' in d && d.at[0] === 'timings'),
      ),
    ).toEqual([]);
  });

  it('removes a field the outcome no longer has (a second message_start without it)', () => {
    const assembler = new MessageAssembler({ trackChanges: true });
    const state = streamingState(assembler);
    const checkpoints = new CheckpointDeltas();
    const partial: Record<string, unknown> = {};
    assembler.apply(
      ev({ type: 'message_start', message: { id: 'msg_1', model: 'm', extra: 'x', content: [] } }),
    );
    applyDeltas(partial, JSON.parse(checkpoints.next(state)));
    checkpoints.confirm();
    expect(partial).toMatchObject({ response: { id: 'msg_1', extra: 'x' } });
    assembler.apply(ev({ type: 'message_start', message: { id: 'msg_2', model: 'm', content: [] } }));
    applyDeltas(partial, JSON.parse(checkpoints.next(state)));
    expect(partial).toEqual(JSON.parse(JSON.stringify(outcomePayload(state, 'streaming'))));
    expect(partial.response).not.toHaveProperty('extra');
  });

  it('carries the changes of a checkpoint whose write failed in the next one', () => {
    const assembler = new MessageAssembler({ trackChanges: true });
    const state = streamingState(assembler);
    const checkpoints = new CheckpointDeltas();
    for (const event of STREAM.slice(0, 8)) assembler.apply(ev(event));
    const lost = checkpoints.next(state); // its write failed: never confirmed
    for (const event of STREAM.slice(8, 12)) assembler.apply(ev(event));
    const retried = checkpoints.next(state);
    checkpoints.confirm();
    const partial = applyDeltas({}, JSON.parse(retried));
    expect(partial).toEqual(JSON.parse(JSON.stringify(outcomePayload(state, 'streaming'))));
    expect(JSON.parse(lost)).not.toEqual([]);
    expect(checkpoints.next(state)).toBe('[]');
  });
});
