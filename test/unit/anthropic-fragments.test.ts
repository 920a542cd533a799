import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FragmentMemo } from '../../proxy/anthropic/fragment-memo.js';
import { layoutOf } from '../../proxy/anthropic/json-layout.js';
import { MaskMemo, PolicyMaskings } from '../../proxy/anthropic/mask-memo.js';
import { prepareMaskedBody } from '../../proxy/anthropic/masked-body.js';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { parsePolicy } from '../../proxy/policy/document.js';

const SPLIT = new Set(['messages']);
const texts = (json: string, split = SPLIT) =>
  layoutOf(json, split)?.map((m) => ({
    key: m.key,
    value: json.slice(m.start, m.end),
    ...(m.elements
      ? {
          elements: m.elements.flatMap((_, i) =>
            i % 2 ? [] : [json.slice(m.elements![i]!, m.elements![i + 1]!)],
          ),
        }
      : {}),
  }));

describe('the layout of a JSON object, found without parsing it', () => {
  it('finds each top-level member and each element of the split arrays', () => {
    const json =
      '{ "model" : "m\\"}{[,", "messages":[ {"a":[1,{"b":"]"}]} , "x\\\\" ,3,true,null,[] ], "n":-1.5e3,"o":{"messages":[1]} }';
    expect(texts(json)).toEqual([
      { key: 'model', value: '"m\\"}{[,"' },
      {
        key: 'messages',
        value: '[ {"a":[1,{"b":"]"}]} , "x\\\\" ,3,true,null,[] ]',
        elements: ['{"a":[1,{"b":"]"}]}', '"x\\\\"', '3', 'true', 'null', '[]'],
      },
      { key: 'n', value: '-1.5e3' },
      { key: 'o', value: '{"messages":[1]}' },
    ]);
    expect(texts('{"messages":[]}')).toEqual([{ key: 'messages', value: '[]', elements: [] }]);
    expect(texts('{}')).toEqual([]);
    expect(texts('{"k\\u0061y":1}')).toEqual([{ key: 'kay', value: '1' }]);
  });

  it('refuses what is not one object, or names a top-level key twice', () => {
    for (const bad of [
      '[1]',
      '"s"',
      '{"a":1',
      '{"a":1} x',
      '{"a":1,"a":2}',
      '{"a" 1}',
      '{"a":1,,"b":2}',
      '{"a":"x}',
    ])
      expect(layoutOf(bad, SPLIT), bad).toBeNull();
  });
});

describe('a request body masked part by part', () => {
  const policy = compilePolicy(
    parsePolicy(
      {
        custom: [{ id: 'custom.ticket', pattern: 'TCK-[0-9]{5}', keywords: ['TCK-'] }],
        outbound: { enabled: true, detectors: ['custom.*'] },
      },
      'test',
    ),
    { hashKey: Buffer.alloc(32, 5) },
  );
  const options = {
    contentType: 'application/json',
    contentEncoding: undefined,
    capBytes: 1 << 22,
    maxDecodedBytes: 1 << 22,
    isMessages: true,
  };
  const words = [
    'fix',
    'TCK-12345',
    'mail ana.lopez@acme-corp.io',
    'ok',
    'é',
    '"quoted"',
    '\\',
    'line\nbreak',
  ];
  const sentence = () => Array.from({ length: 30 }, () => words[randomInt(words.length)]).join(' ');
  const message = (i: number) =>
    i % 2
      ? { role: 'assistant', content: [{ type: 'text', text: sentence() }] }
      : { role: 'user', content: [{ type: 'tool_result', tool_use_id: `t${i}`, content: sentence() }] };
  const system = `rules ${sentence()}`.repeat(20);
  const bodyOf = (messages: unknown[]) => JSON.stringify({ model: 'm', system, messages, max_tokens: 5 });

  it('records turn after turn exactly what masking each body whole records, parsing only what is new', () => {
    const maskings = new PolicyMaskings();
    const whole = new PolicyMaskings();
    const messages: unknown[] = [];
    for (let turn = 0; turn < 12; turn++) {
      messages.push(message(turn * 2), message(turn * 2 + 1));
      const bytes = Buffer.from(bodyOf(messages));
      const masking = maskings.of(policy);
      const parts = masking.fragments.mask(bytes.toString());
      // The first turn is unseen; from the second on, only the new messages are new.
      if (turn === 0) expect(parts).toBe('unseen');
      else expect(parts).toMatchObject({ counts: expect.any(Object) });
      const byParts = prepareMaskedBody(bytes, masking, options);
      // The same masking with a memo that never remembers a part: the body parsed whole.
      const reference = whole.of(compilePolicy(policy.document, { hashKey: Buffer.alloc(32, 5) }));
      const byWhole = prepareMaskedBody(
        bytes,
        { ...reference, fragments: new FragmentMemo(reference.text, reference.outbound) },
        options,
      );
      const recorded = (p: typeof byParts) => (p.json ? JSON.parse(p.json.text) : p.recorded.body);
      expect(recorded(byParts)).toEqual(recorded(byWhole));
      expect(byParts.masked).toEqual(byWhole.masked);
      expect(byParts.maskedOutbound).toEqual(byWhole.maskedOutbound);
      // What goes upstream: the same JSON, the tickets replaced before it leaves.
      const sent = (p: typeof byParts) => JSON.parse((p.forward?.bytes ?? bytes).toString()) as unknown;
      expect(sent(byParts)).toEqual(sent(byWhole));
      expect((byParts.forward?.bytes ?? bytes).toString()).not.toMatch(/TCK-\d/);
      expect(byParts.searchText).toBe(byWhole.searchText);
      if (turn === 0) masking.fragments.learn(bytes.toString());
    }
  });

  it('parses a part again when it changed, and refuses a part whose text holds a key twice', () => {
    const memo = new FragmentMemo(new MaskMemo(policy.text), null);
    const first = '{"messages":[{"role":"user","content":"TCK-11111"},{"role":"user","content":"b"}]}';
    memo.learn(first);
    const again = memo.mask(first);
    expect(again).not.toBe('unseen');
    expect(again && again !== 'unseen' && again.counts).toEqual({ 'custom.ticket': 1 });
    const changed = memo.mask(
      '{"messages":[{"role":"user","content":"TCK-11111"},{"role":"user","content":"TCK-22222"}]}',
    );
    expect(changed && changed !== 'unseen' && changed.counts).toEqual({ 'custom.ticket': 2 });
    const twice =
      '{"messages":[{"role":"user","content":"TCK-11111"},{"role":"user","content":"TCK-33333","content":"x"}]}';
    expect(memo.mask(twice)).toBeUndefined();
  });
});
