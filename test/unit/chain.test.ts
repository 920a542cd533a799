import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ChainLink, chainHash, verifyChain } from '../../proxy/store/chain.js';

function build(sessionId: string, payloads: string[]): ChainLink[] {
  let prev = sessionId;
  return payloads.map((payload, i) => {
    const hash = chainHash(prev, i + 1, 1_000 + i, 'test.event', payload);
    prev = hash;
    return { seq: i + 1, ts: 1_000 + i, kind: 'test.event', payload, hash };
  });
}

describe('hash chain', () => {
  it('matches the formula of DESIGN.md computed independently', () => {
    const expected = createHash('sha256')
      .update('SESSION\n{"kind":"llm.turn","payload":{"a":1},"seq":1,"ts":42}')
      .digest('hex');
    expect(chainHash('SESSION', 1, 42, 'llm.turn', '{"a":1}')).toBe(expected);
  });

  it('verifies an intact chain', () => {
    const links = build('S1', ['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(verifyChain('S1', links, { seq: 3, hash: links[2]!.hash })).toEqual({
      intact: true,
      events: 3,
      headHash: links[2]!.hash,
    });
  });

  it('names the first edited event', () => {
    const links = build('S1', ['{"a":1}', '{"b":2}', '{"c":3}']);
    links[1] = { ...links[1]!, payload: '{"b":3}' };
    expect(verifyChain('S1', links, { seq: 3, hash: links[2]!.hash })).toMatchObject({
      intact: false,
      brokenAtSeq: 2,
    });
  });

  it('detects a deleted middle event and a truncated tail', () => {
    const links = build('S1', ['{"a":1}', '{"b":2}', '{"c":3}']);
    const head = { seq: 3, hash: links[2]!.hash };
    expect(verifyChain('S1', [links[0]!, links[2]!], head)).toMatchObject({ intact: false, brokenAtSeq: 2 });
    expect(verifyChain('S1', links.slice(0, 2), head)).toMatchObject({ intact: false, brokenAtSeq: 3 });
  });

  it('detects a chain moved to another session', () => {
    const links = build('S1', ['{"a":1}']);
    expect(verifyChain('S2', links, { seq: 1, hash: links[0]!.hash })).toMatchObject({
      intact: false,
      brokenAtSeq: 1,
    });
  });
});
