import { describe, expect, it } from 'vitest';
import {
  PreviewSqlError,
  quoteIdentifier,
  selectQuery,
  tableQuery,
} from '../../proxy/postgres/preview-sql.js';

describe('the masking preview SQL', () => {
  it('quotes identifiers as PostgreSQL reads them', () => {
    expect(quoteIdentifier('customers')).toBe('"customers"');
    expect(quoteIdentifier('Odd "Name"')).toBe('"Odd ""Name"""');
    expect(tableQuery({ schema: 'crm', name: 'a.b' })).toBe('SELECT * FROM "crm"."a.b" LIMIT 20');
    expect(() => quoteIdentifier('')).toThrow(PreviewSqlError);
    expect(() => quoteIdentifier('a\0b')).toThrow(PreviewSqlError);
    expect(() => quoteIdentifier('x'.repeat(64))).toThrow(/63-byte/);
  });

  it('wraps one query with a limit, dropping a trailing ; and comment', () => {
    expect(selectQuery('select 1 -- one\n;  /* done */ ')).toBe(
      'SELECT * FROM (\nselect 1\n) AS preview LIMIT 20',
    );
    expect(selectQuery("WITH x AS (SELECT ';' AS s) SELECT $$;$$, s FROM x")).toContain(
      "WITH x AS (SELECT ';' AS s) SELECT $$;$$, s FROM x\n)",
    );
    expect(selectQuery('(SELECT 1) UNION (SELECT 2)')).toContain('(SELECT 1) UNION (SELECT 2)');
    expect(selectQuery('VALUES (1), (2)')).toContain('VALUES (1), (2)');
    expect(selectQuery('TABLE customers')).toContain('TABLE customers');
  });

  it('refuses anything but one query', () => {
    for (const [sql, why] of [
      ['', /type a SELECT/],
      ['-- nothing', /type a SELECT/],
      ['DELETE FROM t', /only a SELECT/],
      ['SELECT 1; SELECT 2', /only one statement/],
      ["SELECT 'a", /ends inside/],
      ['SELECT 1 /* open', /ends inside/],
      ['SELECT (1', /parenthesis open/],
      ['SELECT 1) x, (SELECT 2', /never opened/],
      // Read with standard_conforming_strings off, the backslash escapes the quote and the ; ends a statement.
      ["SELECT 'a\\'; DELETE FROM t; SELECT '", /only one statement|ends inside/],
    ] as const) {
      expect(() => selectQuery(sql), sql).toThrow(why);
    }
    expect(() => selectQuery(`SELECT ${'1,'.repeat(60_000)}1`)).toThrow(/longer than/);
  });
});
