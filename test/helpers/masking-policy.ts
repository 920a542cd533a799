import { createHmac } from 'node:crypto';
import { BUILTIN_DETECTORS, findAll } from '../../proxy/policy/detectors/index.js';
import type { Detector, MaskAction, MaskedText } from '../../proxy/policy/masking/types.js';
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
 * A payment card number (13–19 digits, spaces or dashes between groups allowed) that passes the Luhn check:
 * the policy's custom pattern in these tests, so they do not depend on which built-in detectors exist yet.
 */
export const TEST_CARD_DETECTOR: Detector = {
  id: 'custom.card',
  category: 'custom',
  description: 'Payment card number (Luhn)',
  keywords: [],
  *find(text: string) {
    for (const match of text.matchAll(/(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g)) {
      if (luhn(match[0].replace(/\D/g, ''))) yield { start: match.index, end: match.index + match[0].length };
    }
  },
};

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * A small real {@link PgMaskingPolicy} for tests: the built-in detectors and {@link TEST_CARD_DETECTOR}
 * (cards kept to their last 4 characters, the rest redacted), and `rules` matched by column name (the whole
 * name, or a whole `_`-separated word of it) and, when a rule names a table, by `schema.table` or `table`.
 */
export function testMaskingPolicy(rules: TestColumnRule[]): PgMaskingPolicy {
  const detectors = [...BUILTIN_DETECTORS, TEST_CARD_DETECTOR];
  const actions: Record<string, MaskAction> = { 'custom.card': { type: 'partial', keep: 4 } };
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
