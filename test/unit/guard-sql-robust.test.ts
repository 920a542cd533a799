import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser, SqlClassifier } from '../../proxy/policy/guard/sql.js';
import type { SqlFacts } from '../../proxy/policy/guard/types.js';

/** What the classifier gives must always be well-formed facts, whatever it was given. */
function wellFormed(f: SqlFacts): void {
  expect(['read', 'insert', 'update', 'delete', 'ddl', 'dcl', 'utility', 'unknown']).toContain(f.effect);
  for (const list of [f.reads, f.writes, f.functions, f.commands]) expect(Array.isArray(list)).toBe(true);
  expect(Array.isArray(f.statements)).toBe(true);
}

/** A deterministic pseudo-random source, so every run tries the same inputs. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

const classifier = new SqlClassifier();
beforeAll(async () => {
  await loadSqlParser();
});

describe('SQL classifier: input it must survive', () => {
  it('random binary, random UTF-16 (lone surrogates included) and SQL fragments never throw', () => {
    const rand = lcg(17);
    const fragments = [
      'SELECT',
      'DELETE',
      'FROM',
      "'",
      '"',
      '$$',
      '$a$',
      '/*',
      '*/',
      '--',
      ';',
      '(',
      ')',
      '\n',
      'WITH',
    ];
    for (let i = 0; i < 300; i++) {
      const length = rand(400);
      let text = '';
      for (let j = 0; j < length; j++) {
        const kind = i % 3;
        if (kind === 0) text += String.fromCharCode(rand(256));
        else if (kind === 1) text += String.fromCharCode(rand(0x10000));
        else text += `${fragments[rand(fragments.length)]} `;
      }
      const f = classifier.classify(text);
      wellFormed(f);
      if (f.parseError !== undefined) expect(f.effect).toBe('unknown');
    }
  });

  it('a NUL character makes the text unknown: the parser would stop reading at it', () => {
    const f = classifier.classify('SELECT 1\u0000; DROP TABLE orders');
    expect(f.effect).toBe('unknown');
    expect(f.parseError).toMatch(/NUL/);
  });

  it('text longer than maxTextChars is unknown, without being parsed', () => {
    const small = new SqlClassifier({ maxTextChars: 100 });
    const f = small.classify(`SELECT ${'1,'.repeat(60)}1`);
    expect(f.effect).toBe('unknown');
    expect(f.parseError).toMatch(/more than the 100/);
    const huge = classifier.classify('SELECT 1;'.repeat(200_000));
    expect(huge.effect).toBe('unknown');
    expect(huge.parseError).toMatch(/1800000 characters/);
  });

  it('nesting the parser refuses, or that overflows while the tree is read, is unknown', () => {
    const parens = classifier.classify(`SELECT ${'('.repeat(50_000)}1${')'.repeat(50_000)}`);
    expect(parens.effect).toBe('unknown');
    expect(parens.parseError).toBeTruthy();
    const sum = classifier.classify(`DELETE FROM t WHERE a = 1${' + 1'.repeat(40_000)}`);
    expect(sum.effect).toBe('unknown');
    expect(sum.parseError).toBeTruthy();
    // The parser still works afterwards.
    expect(classifier.classify('DELETE FROM t').effect).toBe('delete');
  });

  it('a deep tree the parser accepts is walked to the bottom', () => {
    const deep = `SELECT 1${' + 1'.repeat(4_000)} + (SELECT count(*) FROM hidden)`;
    expect(classifier.classify(deep)).toMatchObject({ effect: 'read', reads: ['hidden'] });
    const where = `DELETE FROM t WHERE ${'NOT '.repeat(1_000)}false`;
    expect(classifier.classify(where)).toMatchObject({ effect: 'delete', noWhere: true });
  });
});

describe('SQL classifier: cache', () => {
  it('parses each distinct text once: a repeat returns the same frozen facts', () => {
    const c = new SqlClassifier();
    const first = c.classify('DELETE FROM t');
    expect(c.classify('DELETE FROM t')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.writes)).toBe(true);
    expect(Object.isFrozen(first.statements[0])).toBe(true);
    expect(c.classify('DELETE FROM t ')).not.toBe(first);
  });

  it('keeps at most cacheEntries texts, dropping the least recently used', () => {
    // Texts without constants, so that no two share a shape (guard-sql-shape.test.ts).
    const c = new SqlClassifier({ cacheEntries: 2 });
    const a = c.classify('SELECT * FROM a');
    const b = c.classify('SELECT * FROM b');
    expect(c.classify('SELECT * FROM a')).toBe(a); // a is now the most recently used
    const d = c.classify('SELECT * FROM d'); // evicts b
    expect(c.classify('SELECT * FROM a')).toBe(a);
    expect(c.classify('SELECT * FROM d')).toBe(d);
    const b2 = c.classify('SELECT * FROM b');
    expect(b2).not.toBe(b);
    expect(b2).toEqual(b);
  });

  it('keeps at most cacheChars characters of text, dropping the least recently used', () => {
    const c = new SqlClassifier({ cacheChars: 40 });
    const a = c.classify('SELECT * FROM table_aaaaaa'); // 26 characters
    expect(c.classify('SELECT * FROM table_aaaaaa')).toBe(a);
    const b = c.classify('SELECT * FROM b'); // 15: 41 in all, so a goes
    expect(c.classify('SELECT * FROM b')).toBe(b);
    expect(c.classify('SELECT * FROM table_aaaaaa')).not.toBe(a); // back in; b goes
    expect(c.classify('SELECT * FROM b')).not.toBe(b);
  });

  it('does not keep texts longer than maxCachedChars', () => {
    const c = new SqlClassifier({ maxCachedChars: 20 });
    const text = 'SELECT * FROM a_table_with_a_long_name';
    const first = c.classify(text);
    expect(c.classify(text)).not.toBe(first);
    expect(c.classify(text)).toEqual(first);
  });
});
