import { describe, expect, it } from 'vitest';
import { inlineParameters, sqlLiteral } from '../../proxy/cli/sql-literals.js';

const text = (value: string | null, type_oid = 0) => ({ value, format: 'text' as const, type_oid });

describe('sqlLiteral', () => {
  it('doubles quotes, keeps backslashes (standard_conforming_strings), casts known types, writes NULL', () => {
    expect(sqlLiteral("O'Brien")).toBe(`'O''Brien'`);
    expect(sqlLiteral('C:\\path\\n')).toBe(`'C:\\path\\n'`);
    expect(sqlLiteral('42', 23)).toBe(`'42'::integer`);
    expect(sqlLiteral(null, 23)).toBe('NULL');
    expect(sqlLiteral("'); drop table users; --")).toBe(`'''); drop table users; --'`);
  });
});

describe('inlineParameters', () => {
  it('replaces $n outside strings, identifiers, comments and dollar quotes', () => {
    const sql = `select $1, '$2 in a string', "col$3", E'it\\'s $2', $tag$ $2 $tag$, $2 -- $1 in a comment
      /* $1 /* nested $2 */ */ from t where a = $2 and b = $10`;
    const params = Array.from({ length: 10 }, (_, i) => text(`v${i + 1}`));
    expect(inlineParameters(sql, params)).toEqual({
      sql: `select 'v1', '$2 in a string', "col$3", E'it\\'s $2', $tag$ $2 $tag$, 'v2' -- $1 in a comment
      /* $1 /* nested $2 */ */ from t where a = 'v2' and b = 'v10'`,
    });
  });

  it('refuses binary parameters, missing values and SQL it cannot follow', () => {
    expect(inlineParameters('select $1', [{ value: 'AAE=', format: 'binary', type_oid: 17 }])).toEqual({
      reason: 'parameter $1 is in binary format',
    });
    expect(inlineParameters('select $2', [text('x')])).toEqual({ reason: 'no value was recorded for $2' });
    expect(inlineParameters("select 'open", [])).toEqual({ reason: 'unterminated string constant' });
    expect(inlineParameters('select $q$ open', [])).toEqual({ reason: 'unterminated dollar-quoted string' });
  });

  it('leaves identifiers that merely contain $ alone', () => {
    expect(inlineParameters('select a$1 from t where x = $1', [text('7', 23)])).toEqual({
      sql: `select a$1 from t where x = '7'::integer`,
    });
  });
});
