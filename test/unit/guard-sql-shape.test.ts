/**
 * Statements that differ only in their constants share one classification when nothing in it can depend on
 * a constant (proxy/policy/guard/sql-shape.ts); everything else is parsed on its own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser, SqlClassifier } from '../../proxy/policy/guard/sql.js';
import {
  literalFreeShape,
  readsDifferentlyWithoutStandardStrings,
} from '../../proxy/policy/guard/sql-shape.js';

describe('SQL classification by literal-free shape', () => {
  beforeAll(async () => {
    await loadSqlParser();
  });

  it('shapes a text by replacing constants, dropping comments and folding space', () => {
    expect(literalFreeShape("SELECT  a FROM t /* c */ WHERE id = 42 AND name = E'x\\'y' -- z\n")).toBe(
      'SELECT a FROM t WHERE id = ? AND name = ? ',
    );
    expect(literalFreeShape('SELECT a FROM t')).toBeUndefined(); // no constant: nothing to share
    expect(literalFreeShape("SELECT 'unterminated")).toBeUndefined();
    expect(literalFreeShape('SELECT $$body$$, $1')).toBe('SELECT ?, $1');
  });

  it('gives a read with other constants the facts already classified, without parsing it again', () => {
    const classifier = new SqlClassifier();
    const first = classifier.classify('SELECT abalance FROM pgbench_accounts WHERE aid = 48213;');
    const second = classifier.classify('SELECT abalance FROM pgbench_accounts WHERE aid = 7;');
    expect(second).toBe(first); // the same object: shared, not parsed
    expect(second).toMatchObject({ effect: 'read', reads: ['pgbench_accounts'] });
  });

  it('parses statements that modify rows on their own: a constant decides whether a WHERE is always true', () => {
    const classifier = new SqlClassifier();
    expect(classifier.classify('DELETE FROM t WHERE 1 = 2').noWhere).toBe(false);
    expect(classifier.classify('DELETE FROM t WHERE 1 = 1').noWhere).toBe(true);
    expect(classifier.classify('UPDATE t SET a = 1 WHERE true').noWhere).toBe(true);
  });

  it('never lets a shape hide a statement: what is not inside a constant changes the shape', () => {
    const classifier = new SqlClassifier();
    expect(classifier.classify("SELECT 'a'").effect).toBe('read');
    // A quote doubled stays inside the literal (PostgreSQL agrees): still one read.
    expect(classifier.classify("SELECT 'a''; DROP TABLE t; --'").effect).toBe('read');
    // A backslash does not escape a quote under standard_conforming_strings: the DROP is SQL.
    expect(classifier.classify("SELECT 'a\\'; DROP TABLE t; --'")).toMatchObject({
      effect: 'ddl',
      commands: ['SELECT', 'DROP TABLE'],
    });
  });

  it('never shares EXPLAIN: a constant option decides whether the statement runs', () => {
    const classifier = new SqlClassifier();
    expect(classifier.classify("EXPLAIN (ANALYZE 'off') DELETE FROM orders").effect).toBe('read');
    expect(classifier.classify("EXPLAIN (ANALYZE 'on') DELETE FROM orders")).toMatchObject({
      effect: 'delete',
      noWhere: true,
    });
    expect(classifier.classify('EXPLAIN (ANALYZE 0) UPDATE t SET a = 1').effect).toBe('read');
    expect(classifier.classify('EXPLAIN (ANALYZE 1) UPDATE t SET a = 1').effect).toBe('update');
  });

  it('tells when standard_conforming_strings off would move a string constant’s end', () => {
    expect(readsDifferentlyWithoutStandardStrings("SELECT '\\' || $$'; DELETE FROM t; --$$")).toBe(true);
    expect(readsDifferentlyWithoutStandardStrings("SELECT 'C:\\path'")).toBe(false); // ends at the same quote
    expect(readsDifferentlyWithoutStandardStrings("SELECT E'a\\'b'")).toBe(false); // E'' reads the same
    expect(readsDifferentlyWithoutStandardStrings('SELECT 1')).toBe(false);
  });

  it('does not share reads that call functions of note', () => {
    const classifier = new SqlClassifier();
    const first = classifier.classify("SELECT pg_read_file('/etc/passwd')");
    const second = classifier.classify("SELECT pg_read_file('/etc/shadow')");
    expect(second).not.toBe(first);
    expect(second.functions).toEqual(['pg_read_file']);
  });
});
