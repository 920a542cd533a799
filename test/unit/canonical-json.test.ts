import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../proxy/common/canonical-json.js';
import { fuzzSeeds, type Rng, withSeedSync } from '../helpers/fuzz.js';

/**
 * An independent statement of RFC 8785 for JSON values: sort every object's keys by UTF-16 code units, write
 * scalars as JSON.stringify does. The fast path (native JSON.stringify of values already in that order) and the
 * general path must both agree with it.
 */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${Array.from(value, (item) => reference(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((key) => `${JSON.stringify(key)}:${reference(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null) ?? 'null';
}

const KEYS = [
  'a',
  'b',
  'B',
  'aa',
  'é',
  'z',
  '0',
  '1',
  '9',
  '10',
  '01',
  '\u{1F600}',
  'toString',
  '__proto__x',
];

/** A random JSON-like value; objects are built in sorted key order half of the time. */
function randomValue(rng: Rng, depth: number): unknown {
  const kind = depth > 4 ? rng.int(0, 3) : rng.int(0, 6);
  switch (kind) {
    case 0:
      return rng.pick([null, true, false]);
    case 1:
      return rng.pick([0, -0, 1, -1.5, 1e21, 2 ** 53, 0.1, Number.NaN, Number.POSITIVE_INFINITY]);
    case 2:
      return rng.pick(['', 'x', 'line\nbreak', '"q"', '\u2028', '\ud800', 'é']);
    case 3:
      return rng.chance(0.1) ? undefined : rng.int(-1000, 1000);
    case 4:
      return Array.from({ length: rng.int(0, 4) }, () => randomValue(rng, depth + 1));
    default: {
      const keys = [...new Set(Array.from({ length: rng.int(0, 5) }, () => rng.pick(KEYS)))];
      if (rng.chance(0.5)) keys.sort();
      const out: Record<string, unknown> = {};
      for (const key of keys) out[key] = randomValue(rng, depth + 1);
      return out;
    }
  }
}

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

  it('writes the same text whether or not a value is already in canonical order (seeded fuzz)', () => {
    for (const seed of fuzzSeeds(0xc0ffee, 500)) {
      withSeedSync(seed, 'canonicalJson vs reference', (rng) => {
        const value = { root: randomValue(rng, 0) };
        expect(canonicalJson(value)).toBe(reference(value));
      });
    }
  });

  it('takes keys V8 enumerates out of insertion order, toJSON and class instances through the general path', () => {
    expect(canonicalJson({ 9: 'a', 10: 'b' })).toBe('{"10":"b","9":"a"}');
    expect(canonicalJson({ a: new Date(0) })).toBe('{"a":"1970-01-01T00:00:00.000Z"}');
    expect(canonicalJson({ a: { toJSON: () => ({ z: 1, y: 2 }) } })).toBe('{"a":{"y":2,"z":1}}');
    class Point {
      constructor(
        readonly y: number,
        readonly x: number,
      ) {}
    }
    expect(canonicalJson(new Point(2, 1))).toBe('{"x":1,"y":2}');
    expect(canonicalJson(Object.assign(Object.create(null), { a: 1, b: [1, 2] }))).toBe('{"a":1,"b":[1,2]}');
  });

  it('refuses BigInt and cycles', () => {
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/deeper/);
    expect(() => canonicalJson([1n])).toThrow(TypeError);
    let deep: unknown = 1;
    for (let i = 0; i < 600; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(/deeper/);
  });
});
