import { describe, expect, it } from 'vitest';
import { loadSqlParser, SqlClassifier } from '../../proxy/policy/guard/sql.js';

// In a file of its own: each test file runs in a fresh process, so the parser is not loaded yet here.
describe('SQL classifier: loading the parser', () => {
  it('throws a clear error when used before loadSqlParser(), and works after it', async () => {
    const c = new SqlClassifier();
    expect(() => c.classify('SELECT 1')).toThrow(/before loadSqlParser\(\)/);
    await loadSqlParser();
    await loadSqlParser(); // idempotent
    expect(c.classify('SELECT 1').effect).toBe('read');
  });
});
