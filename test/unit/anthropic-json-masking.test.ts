import { describe, expect, it } from 'vitest';
import { maskBody, replaceStrings, stringRanges } from '../../proxy/anthropic/json-masking.js';
import { MaskMemo, PolicyMaskings } from '../../proxy/anthropic/mask-memo.js';
import { prepareMaskedBody } from '../../proxy/anthropic/masked-body.js';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { defaultPolicy, parsePolicy } from '../../proxy/policy/document.js';
import type { MaskedText, TextMasker } from '../../proxy/policy/masking/types.js';
import { fake } from '../helpers/fake-secrets.js';

/** A masker replacing `SECRET`, counting how often it was asked. */
function secretMasker(): TextMasker & { calls: number } {
  const masker = {
    calls: 0,
    mask(text: string): MaskedText {
      masker.calls++;
      const n = text.split('SECRET').length - 1;
      if (n === 0) return { text, spans: [], counts: {} };
      const spans = [
        { detector: 'test.secret', start: text.indexOf('SECRET'), end: 0, action: 'redact' as const },
      ];
      return { text: text.replaceAll('SECRET', '[X]'), spans, counts: { 'test.secret': n } };
    },
  };
  return masker;
}

describe('masking a request body', () => {
  it('masks every string but keys, copying only what changed, and counts', () => {
    const body = {
      system: 'a SECRET here',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'nothing' }] },
        { role: 'user', content: [{ type: 'tool_result', content: ['SECRET', 'SECRET twice SECRET'] }] },
      ],
      SECRET: 'the key stays',
    };
    const masked = maskBody(body, new MaskMemo(secretMasker()));
    expect(masked.value).toEqual({
      system: 'a [X] here',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'nothing' }] },
        { role: 'user', content: [{ type: 'tool_result', content: ['[X]', '[X] twice [X]'] }] },
      ],
      SECRET: 'the key stays',
    });
    expect(masked.value.messages[0]).toBe(body.messages[0]);
    expect(body.system).toBe('a SECRET here');
    expect(masked.counts).toEqual({ 'test.secret': 4 });
    expect(masked.textOrder).toBe(true);
  });

  it('leaves signatures, redacted thinking and binary sources alone; masks text documents inside', () => {
    const text = Buffer.from('API=SECRET\n').toString('base64');
    const body = {
      content: [
        { type: 'thinking', thinking: 'SECRET', signature: 'SECRET' },
        { type: 'redacted_thinking', data: 'SECRET' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'SECRET' } },
        { type: 'document', source: { type: 'base64', media_type: 'text/plain', data: text } },
        { type: 'mcp', authorization_token: 'SECRET' },
      ],
    };
    const stored = maskBody(body, new MaskMemo(secretMasker()));
    const blocks = stored.value.content as Array<Record<string, unknown>>;
    expect(blocks[0]).toEqual({ type: 'thinking', thinking: '[X]', signature: 'SECRET' });
    expect(blocks[1]).toBe(body.content[1]);
    expect(blocks[2]).toBe(body.content[2]);
    const data = (blocks[3]!.source as { data: string }).data;
    expect(Buffer.from(data, 'base64').toString()).toBe('API=[X]\n');
    expect(blocks[4]).toEqual({ type: 'mcp', authorization_token: '[X]' });
    const outbound = maskBody(body, new MaskMemo(secretMasker()), { keepCredentials: true });
    expect((outbound.value.content as unknown[])[4]).toBe(body.content[4]);
  });

  it('writes the masked body into the text it came as: the same value, the client formatting kept', () => {
    const text =
      '{\n  "model": "m",\n  "say": "quote \\" SECRET \\\\",\n  "u": "\\u00e9t\\u00e9 SECRET",\n  "list": [1, "SECRET", {"k": "ok"}]\n}';
    const parsed = JSON.parse(text) as unknown;
    const masked = maskBody(parsed, new MaskMemo(secretMasker()));
    const ranges = stringRanges(text, masked.strings);
    expect(ranges).not.toBeNull();
    const spliced = replaceStrings(text, ranges!, masked.changes);
    expect(JSON.parse(spliced)).toEqual(masked.value);
    expect(spliced).toContain('\n  "model": "m",\n');
    expect(spliced).toContain('"u": "été [X]"');
  });

  it('refuses to reuse a text that holds strings its value lacks, or whose order differs', () => {
    const duplicate = '{"a":"SECRET","a":"fine"}';
    const value = JSON.parse(duplicate) as unknown;
    const masked = maskBody(value, new MaskMemo(secretMasker()));
    expect(masked.changes.size).toBe(0); // the parsed value never had it …
    expect(stringRanges(duplicate, masked.strings)).toBeNull(); // … and the text is not recorded as it is
    const numbered = maskBody(JSON.parse('{"b":"SECRET","1":"x"}'), new MaskMemo(secretMasker()));
    expect(numbered.textOrder).toBe(false);
  });

  it('records a body with a key given twice as its masked value, never its text', () => {
    const masking = new PolicyMaskings().of(compilePolicy(defaultPolicy(), { hashKey: Buffer.alloc(32, 1) }));
    const key = fake.anthropic();
    const bytes = Buffer.from(`{"model":"m","messages":[{"role":"user","content":"${key}"}],"model":"m"}`);
    const prepared = prepareMaskedBody(bytes, masking, {
      contentType: 'application/json',
      contentEncoding: undefined,
      capBytes: 1 << 20,
      maxDecodedBytes: 1 << 20,
      isMessages: true,
    });
    expect(prepared.json).toBeUndefined();
    expect(JSON.stringify(prepared.recorded)).not.toContain(key.slice(13, 40));
    expect(prepared.masked).toEqual({ 'secret.anthropic_api_key': 1 });
  });
});

describe('the memo of masked strings', () => {
  it('masks a string seen before without scanning it again, short or long', () => {
    const masker = secretMasker();
    const memo = new MaskMemo(masker);
    const long = `${'x'.repeat(10_000)} SECRET ${'y'.repeat(10_000)}`;
    expect(memo.mask(long).text).toContain('[X]');
    expect(memo.mask('short SECRET').counts).toEqual({ 'test.secret': 1 });
    const calls = masker.calls;
    expect(memo.mask(`${long}`).text).toContain('[X]');
    expect(memo.mask(['short', 'SECRET'].join(' ')).text).toBe('short [X]');
    expect(masker.calls).toBe(calls);
  });

  it('tells apart long strings that share their length and both ends', () => {
    const memo = new MaskMemo(secretMasker());
    const a = `${'a'.repeat(100)}SECRET${'b'.repeat(100)}`;
    const b = `${'a'.repeat(100)}NOTHIN${'b'.repeat(100)}`;
    expect(memo.mask(a).text).toContain('[X]');
    expect(memo.mask(b).text).toBe(b);
    expect(memo.mask(a).text).toContain('[X]');
  });

  it('stays within its bound, and stays right', () => {
    const masker = secretMasker();
    const memo = new MaskMemo(masker, 1_000);
    for (let i = 0; i < 200; i++)
      expect(memo.mask(`${i} SECRET ${'z'.repeat(90)}`).text).toMatch(/^\d+ \[X\]/);
    const calls = masker.calls;
    memo.mask(`199 SECRET ${'z'.repeat(90)}`); // recent: remembered
    expect(masker.calls).toBe(calls);
    memo.mask(`0 SECRET ${'z'.repeat(90)}`); // long gone: masked again
    expect(masker.calls).toBe(calls + 1);
  });

  it('is rebuilt for a new policy', () => {
    const maskings = new PolicyMaskings();
    const one = compilePolicy(defaultPolicy(), { hashKey: Buffer.alloc(32, 1) });
    const off = compilePolicy(parsePolicy({ detectors: { '*': { enabled: false } } }, 'test'), {
      hashKey: Buffer.alloc(32, 1),
    });
    expect(maskings.of(one)).toBe(maskings.of(one));
    expect(maskings.of(one).active).toBe(true);
    expect(maskings.of(off).active).toBe(false);
    expect(maskings.of(one).text.mask('to a@b.co').text).toBe('to [MASKED:pii.email]');
  });
});
