import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../proxy/common/canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('sorts by UTF-16 code units as RFC 8785 requires', () => {
    expect(canonicalJson({ é: 1, z: 2, A: 3, '\u{1F600}': 4 })).toBe('{"A":3,"z":2,"é":1,"\u{1F600}":4}');
  });

  it('is stable through a parse round trip', () => {
    const value = {
      n: 1e21,
      f: 0.1,
      neg: -0,
      s: 'line\nbreak "quoted"',
      u: '\u2028',
      arr: [null, true, false],
    };
    const once = canonicalJson(value);
    expect(canonicalJson(JSON.parse(once))).toBe(once);
  });

  it('drops undefined members, maps undefined array items and non-finite numbers to null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, Number.NaN, Number.POSITIVE_INFINITY] })).toBe(
      '{"b":[null,null,null]}',
    );
  });

  it('writes holes of sparse arrays as null, keeping the output valid JSON', () => {
    const sparse: unknown[] = [];
    sparse[2] = 'x';
    expect(canonicalJson({ sparse })).toBe('{"sparse":[null,null,"x"]}');
  });

  it('refuses BigInt and cycles', () => {
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/deeper/);
  });
});
