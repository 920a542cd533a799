import { wireValueAs } from '../policy/wire-form.js';
import type { FieldDescription } from './backend-messages.js';
import type { PgColumnRule, PgMaskingPolicy, WireForm } from './masking.js';
import { wireForm } from './masking.js';
import type { TableNames } from './table-names.js';

/** How one result column is masked. */
export interface ColumnMask {
  rule: PgColumnRule;
  /** The value's format on the wire: 0 text, 1 binary. */
  format: number;
  /** How a masked value of the column's type is written in text format (masking.ts, {@link wireForm}). */
  form: WireForm;
  /** The policy the rule is from. */
  policy: PgMaskingPolicy;
}

/** What masking does to one result set's columns, under the policy in effect when it started. */
export interface MaskPlan {
  policy: PgMaskingPolicy;
  /** The column descriptions it was made for. */
  columns: FieldDescription[];
  /** By column index: the rule that applies, if any. */
  masks: Array<ColumnMask | undefined>;
  /** True when some column is masked on the wire. */
  wire: boolean;
}

/**
 * The table OIDs of `columns` that must be resolved before their rules are known: none when the policy has no
 * table-qualified rule (`tableRules: false`) or there is no resolver; else those not cached.
 */
export function tablesToResolve(
  columns: readonly FieldDescription[],
  policy: PgMaskingPolicy,
  tables: TableNames | undefined,
): number[] {
  if (!tables || policy.tableRules === false) return [];
  const oids: number[] = [];
  for (const column of columns) {
    if (column.tableOid !== 0 && tables.cached(column.tableOid) === undefined) oids.push(column.tableOid);
  }
  return oids;
}

/**
 * The plan for a result set: each column's rule, asked of the policy with the column's table (`schema.table`,
 * from the cache of `tables`; null when computed or not resolved) and its name — the table's own column name
 * when resolved (so `SELECT email AS contact FROM customers` is still `customers.email`), and also the name
 * the result gives it when that differs. When both match, a wire rule wins over a storage-only one.
 * @param formatOf the column's format on the wire (0 text, 1 binary), by index
 */
export function maskPlan(
  connection: string,
  columns: FieldDescription[],
  formatOf: (index: number) => number,
  policy: PgMaskingPolicy,
  tables: TableNames | undefined,
): MaskPlan {
  let wire = false;
  const masks = columns.map((column, index): ColumnMask | undefined => {
    const info = column.tableOid !== 0 ? tables?.cached(column.tableOid) : undefined;
    const table = info?.table ?? null;
    const base = info?.columns.get(column.columnNumber);
    let rule = policy.columns({ connection, table, name: base ?? column.name });
    if (base !== undefined && base !== column.name && !rule?.wire)
      rule = policy.columns({ connection, table, name: column.name }) ?? rule;
    if (!rule) return undefined;
    wire ||= rule.wire;
    return { rule, format: formatOf(index), form: wireForm(column.typeOid), policy };
  });
  return { policy, columns, masks, wire };
}

/**
 * The text a wire rule writes in place of `value` (text format), or null for SQL NULL: NULL for the `null`
 * action and for types a masked text is no valid value of; a JSON string for json/jsonb; else the masked text.
 */
export function wireText(mask: ColumnMask, value: string): string | null {
  return wireValueAs(mask.policy, mask.rule, mask.form, value);
}

/** Format of result column `index` as a Bind asked for it (PostgreSQL docs, 55.7 "Bind"): none → text, one → all. */
export function bindFormat(resultFormats: readonly number[], index: number): number {
  if (resultFormats.length === 0) return 0;
  return (resultFormats.length === 1 ? resultFormats[0] : resultFormats[index]) ?? 0;
}
