import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FinishedPart, finishedUpTo, MAX_HELD } from '../../proxy/anthropic/hold-back.js';
import { PolicyMaskings } from '../../proxy/anthropic/mask-memo.js';
import { ReplyMasking } from '../../proxy/anthropic/reply-masking.js';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { parsePolicy } from '../../proxy/policy/document.js';
import type { InflightDelta } from '../../proxy/store/inflight-deltas.js';
import { applyDeltas } from '../../proxy/store/inflight-deltas.js';

/** What is finished of `text`. */
const finished = (text: string) => text.slice(0, finishedUpTo(text));

describe('the hold-back rule: what of a growing text is finished', () => {
  it('holds the token being written, and runs of tokens that are not lower-case words', () => {
    expect(finished('Your key is sk-ant-api03-abc')).toBe('Your key is ');
    expect(finished('pay with card 4111 1111 1111')).toBe('pay with card ');
    expect(finished('call me at +1 415 555 ')).toBe('call me at ');
    expect(finished('send it to DE89 3704 0044 ')).toBe('send it to ');
    expect(finished('the KEY IS ABCD EFGH ')).toBe('the ');
    expect(finished('it works, then it stops. More')).toBe('it works, then it stops. ');
  });

  it('holds a quoted value whole, apostrophes inside words aside', () => {
    expect(finished('set password = "correct horse battery')).toBe('set password ');
    expect(finished("it's what we don't see here")).toBe("it's what we don't see ");
    expect(finished("use 'two words")).toBe('use ');
    expect(finished('run `cat my file')).toBe('run ');
    expect(finished('run `cat` now and')).toBe('run `cat` now ');
  });

  it('finishes a line at its line break', () => {
    expect(finished('4111 1111 1111 1111\n5500 00')).toBe('4111 1111 1111 1111\n');
  });

  it('holds a PEM block from its BEGIN until its END line is whole', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabcdefgh\n';
    expect(finished(`here it is:\n${key}`)).toBe('here it is:\n');
    expect(finished(`here it is:\n${key}-----END RSA PRIV`)).toBe('here it is:\n');
    const whole = `here it is:\n${key}-----END RSA PRIVATE KEY-----\nthat was it `;
    expect(finished(whole)).toBe(whole);
  });

  it('cuts a run longer than MAX_HELD without a break that far before its end', () => {
    const run = 'x'.repeat(MAX_HELD + 5_000);
    expect(finishedUpTo(run)).toBe(5_000);
  });

  it('finds the same, scanning a text as it grows, as scanning it once, and never goes back', () => {
    const words = [
      'the',
      'key',
      'is',
      'sk-ant-api03-Zx9',
      '4111',
      '"quoted',
      'value"',
      "don't",
      'A@b.co',
      '\n',
    ];
    for (let round = 0; round < 50; round++) {
      const part = new FinishedPart();
      let text = '';
      let last = 0;
      for (let i = 0; i < 60; i++) {
        text += words[randomInt(words.length)]! + (randomInt(3) === 0 ? '' : ' ');
        const end = part.end(text, last);
        expect(end).toBe(Math.max(finishedUpTo(text), last));
        expect(end).toBeGreaterThanOrEqual(last);
        last = end;
      }
    }
  });
});

describe('a streamed reply masked checkpoint by checkpoint', () => {
  const policy = compilePolicy(
    parsePolicy(
      {
        custom: [
          // Needs what stands before it: a value only after its name.
          { id: 'custom.token', pattern: '(?<=token: )[a-z0-9]{12}\\b', keywords: ['token'] },
          { id: 'custom.order', pattern: 'ORD-[0-9]{6}', action: 'partial' },
        ],
      },
      'test',
    ),
    { hashKey: Buffer.alloc(32, 7) },
  );
  const masking = new PolicyMaskings().of(policy);

  /** Streams `pieces` into block 0 with a checkpoint after each, and returns the stored text after each. */
  function stream(pieces: string[], closeAtEnd = true): string[] {
    const reply = new ReplyMasking(masking);
    const partial: Record<string, unknown> = {};
    const stored: string[] = [];
    let changes: InflightDelta[] = [{ at: ['content', 0], set: { type: 'text', text: '' } }];
    pieces.forEach((piece, i) => {
      changes.push({ at: ['content', 0, 'text'], append: piece });
      const open = !(closeAtEnd && i === pieces.length - 1);
      applyDeltas(
        partial,
        reply.content(changes, () => open),
      );
      changes = [];
      stored.push((partial.content as Array<{ text: string }>)[0]!.text);
    });
    return stored;
  }

  it('stores each value masked once it is whole, the name before it in view', () => {
    const stored = stream(['use token: ', 'abc123def4', '56 for ORD-12', '3456 today', '.']);
    expect(stored[0]).toBe('use token: ');
    expect(stored[1]).toBe('use token: ');
    expect(stored[2]).toBe('use token: [MASKED:custom.token] for ');
    expect(stored.at(-1)).toBe('use token: [MASKED:custom.token] for ••••••3456 today.');
    expect(stored.at(-1)).toBe(policy.text.mask('use token: abc123def456 for ORD-123456 today.').text);
  });

  it('stores exactly what masking the whole text gives, wherever the deltas and checkpoints fall', () => {
    const words = [
      'Mail',
      'ana.lopez@acme-corp.io',
      'about',
      'ORD-123456',
      'and',
      'token:',
      'abcdef123456',
      'now.',
      '\n',
    ];
    for (let round = 0; round < 40; round++) {
      const text = Array.from({ length: 40 }, () => words[randomInt(words.length)]).join(' ');
      const pieces: string[] = [];
      for (let at = 0; at < text.length; ) {
        const size = 1 + randomInt(12);
        pieces.push(text.slice(at, at + size));
        at += size;
      }
      const stored = stream(pieces);
      const whole = policy.text.mask(text).text;
      expect(stored.at(-1)).toBe(whole);
      // Every checkpoint stored the beginning of that: nothing a later one masked differently.
      for (const partial of stored) expect(whole.startsWith(partial), partial).toBe(true);
    }
  });

  it('seals text cut at the storage cap only up to its last break, and masks the whole payload', () => {
    const reply = new ReplyMasking(masking);
    const sealed = reply.seal({
      outcome: 'complete',
      response: {
        content: [
          { type: 'text', text: 'first ORD-123456 ok' },
          { type: 'text', text: 'cut at ORD-12' },
        ],
      },
      response_truncated: true,
      error: { type: 'x', message: 'about ORD-654321' },
    });
    expect(sealed).toEqual({
      outcome: 'complete',
      response: {
        content: [
          { type: 'text', text: 'first ••••••3456 ok' },
          { type: 'text', text: 'cut at ' },
        ],
      },
      response_truncated: true,
      error: { type: 'x', message: 'about ••••••4321' },
      masked: { 'custom.order': 2 },
    });
    const body = reply.seal({ body_raw: '{"note":"ORD-12', body_truncated: true });
    expect(body).toEqual({ body_raw: '', body_truncated: true });
  });
});
