import { beforeAll, describe, expect, it } from 'vitest';
import { loadSqlParser, SqlClassifier } from '../../proxy/policy/guard/sql.js';
import type { SqlFacts } from '../../proxy/policy/guard/types.js';
import {
  COMMENTS_AND_QUOTES,
  CONSTANT_TRUE_WHERE,
  CTES,
  READS,
  REAL_WHERE,
  type SqlCase,
  WRITES,
} from '../helpers/sql-corpus.js';
import { COPY, DCL, DDL, FUNCTIONS, MULTI, UNKNOWN, UTILITY } from '../helpers/sql-corpus-ddl.js';

/** The facts a case expects, with everything it does not mention at "nothing". */
function expected(c: SqlCase) {
  return {
    effect: c.effect,
    commands: c.commands,
    reads: c.reads ?? [],
    writes: c.writes ?? [],
    noWhere: c.noWhere ?? false,
    functions: c.functions ?? [],
    copyProgram: c.copyProgram ?? false,
    alterDrop: c.alterDrop ?? false,
  };
}

function actual(f: SqlFacts) {
  const { effect, commands, reads, writes, noWhere, functions, copyProgram, alterDrop } = f;
  return { effect, commands, reads, writes, noWhere, functions, copyProgram, alterDrop };
}

const classifier = new SqlClassifier();
beforeAll(async () => {
  await loadSqlParser();
});

const CORPORA: Record<string, SqlCase[]> = {
  reads: READS,
  'comments and quoting': COMMENTS_AND_QUOTES,
  'INSERT, UPDATE, DELETE, MERGE': WRITES,
  'data-modifying CTEs': CTES,
  DDL,
  DCL,
  'utility and EXPLAIN': UTILITY,
  'effects not in the text': UNKNOWN,
  'functions of note': FUNCTIONS,
  COPY,
  'multi-statement messages': MULTI,
};

for (const [name, cases] of Object.entries(CORPORA)) {
  describe(`SQL classifier: ${name}`, () => {
    it.each(cases.map((c) => [c.sql, c] as const))('%s', (_sql, c) => {
      expect(actual(classifier.classify(c.sql))).toEqual(expected(c));
    });
  });
}

describe('SQL classifier: WHERE that selects every row', () => {
  it.each(CONSTANT_TRUE_WHERE)('DELETE … WHERE %s has no real WHERE', (where) => {
    const f = classifier.classify(`DELETE FROM t WHERE ${where}`);
    expect(f.effect).toBe('delete');
    expect(f.noWhere).toBe(true);
    expect(classifier.classify(`UPDATE t SET a = 1 WHERE ${where}`).noWhere).toBe(true);
  });
  it.each(REAL_WHERE)('DELETE … WHERE %s has one', (where) => {
    expect(classifier.classify(`DELETE FROM t WHERE ${where}`).noWhere).toBe(false);
    expect(classifier.classify(`UPDATE t SET a = 1 WHERE ${where}`).noWhere).toBe(false);
  });
});

describe('SQL classifier: statements of a message', () => {
  it('lists each statement with its own facts, in order', () => {
    const f = classifier.classify(
      'SELECT * FROM a; WITH d AS (DELETE FROM b RETURNING *) SELECT * FROM d; VACUUM',
    );
    expect(f.statements.map((s) => [s.node, s.command, s.effect])).toEqual([
      ['SelectStmt', 'SELECT', 'read'],
      ['SelectStmt', 'SELECT', 'delete'],
      ['VacuumStmt', 'VACUUM', 'utility'],
    ]);
    expect(f.statements[0]).toMatchObject({ reads: ['a'], writes: [], noWhere: false });
    expect(f.statements[1]).toMatchObject({ reads: [], writes: ['b'], noWhere: true });
    expect(f.effect).toBe('delete');
  });

  it('says why text does not parse, with the position', () => {
    const f = classifier.classify('SELECT 1; DELETE FORM orders');
    expect(f.effect).toBe('unknown');
    expect(f.statements).toEqual([expect.objectContaining({ node: 'ParseError', effect: 'unknown' })]);
    expect(f.parseError).toMatch(/syntax error at or near "FORM" \(at character 18\)/);
  });

  it('has no parseError when the text parses', () => {
    expect(classifier.classify('SELECT 1')).not.toHaveProperty('parseError');
  });
});
