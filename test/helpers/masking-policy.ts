import { createHmac } from 'node:crypto';
import { BUILTIN_DETECTORS, findAll } from '../../proxy/policy/detectors/index.js';
import type { MaskAction, MaskedText } from '../../proxy/policy/masking/types.js';
import type { PgMaskingPolicy } from '../../proxy/postgres/masking.js';

/** A column rule of the test policy: `column` of `table` (any table when absent), on `connection` (any when absent). */
export interface TestColumnRule {
  id: string;
  column: string;
  table?: string;
  connection?: string;
  action: MaskAction;
  wire: boolean;
}

/**
 * A small real {@link PgMaskingPolicy} for tests: the built-in detectors (payment cards kept to their last 4
 * characters, as the default policy does, the rest redacted), and `rules` matched by column name (the whole
 * name, or a whole `_`-separated word of it) and, when a rule names a table, by `schema.table` or `table`.
 */
export function testMaskingPolicy(rules: TestColumnRule[]): PgMaskingPolicy {
  const detectors = BUILTIN_DETECTORS;
  const actions: Record<string, MaskAction> = { 'pii.card': { type: 'partial', keep: 4 } };
  const maskValue = (value: string, action: MaskAction, id: string): string => {
    switch (action.type) {
      case 'partial':
        return '•'.repeat(Math.max(0, value.length - action.keep)) + value.slice(-action.keep);
      case 'hash':
        return `hash:${createHmac('sha256', 'test-key').update(value).digest('hex').slice(0, 8)}`;
      default:
        return `[MASKED:${id}]`;
    }
  };
  return {
    columns: ({ connection, table, name }) => {
      const rule = rules.find(
        (r) =>
          (r.connection === undefined || r.connection === connection) &&
          new RegExp(`(^|_)${r.column}(_|$)`, 'i').test(name) &&
          (r.table === undefined || (table !== null && (table === r.table || table.endsWith(`.${r.table}`)))),
      );
      return rule && { action: rule.action, wire: rule.wire, rule: rule.id };
    },
    maskValue,
    text: {
      mask(text: string): MaskedText {
        const findings = findAll(text, detectors);
        const counts: Record<string, number> = {};
        let out = '';
        let at = 0;
        for (const f of findings) {
          const action = actions[f.detector] ?? { type: 'redact' };
          out += text.slice(at, f.start) + maskValue(text.slice(f.start, f.end), action, f.detector);
          at = f.end;
          counts[f.detector] = (counts[f.detector] ?? 0) + 1;
        }
        const spans = findings.map((f) => ({
          ...f,
          action: (actions[f.detector] ?? { type: 'redact' }).type,
        }));
        return { text: out + text.slice(at), spans, counts };
      },
    },
    tableRules: rules.some((r) => r.table !== undefined),
    wireRules: rules.some((r) => r.wire),
  };
}
