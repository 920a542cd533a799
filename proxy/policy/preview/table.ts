/**
 * A PostgreSQL result as a policy would treat it (issue 16, point 7's table preview): the rows as the agent
 * would receive them (column rules with `wire: true`) and as Glassbox would store them (every matching
 * column rule, then the detectors on the other values), each masked cell naming the rules or detectors that
 * masked it. Pure: the rows come from preview-query.ts, and nothing here is recorded.
 */
import type { ColumnMask, CompiledPolicy } from '../compile.js';
import { wireValue } from '../wire-form.js';

/** One value of a masked view: the text shown (null = SQL NULL) and what masked it (empty: untouched). */
export interface PreviewCell {
  value: string | null;
  masked_by: string[];
}

/** A result column and the column rule the policy applies to it, if any. */
export interface PreviewColumnView {
  name: string;
  /** `schema.table` the column comes from, or null for an expression. */
  table: string | null;
  type_oid: number;
  rule: ColumnMask | null;
}

/** The same rows three ways: as the database has them, as the agent would see them, as they would be stored. */
export interface MaskedRows {
  columns: PreviewColumnView[];
  database: Array<Array<string | null>>;
  agent: PreviewCell[][];
  stored: PreviewCell[][];
}

/** Characters of a value shown at most (masking runs on the whole value first); `…` marks a cut. */
export const MAX_CELL_CHARS = 2_000;

/**
 * Masks a result under `policy` for the connection named `connection`.
 * On the wire a column rule's action replaces the value exactly as the PostgreSQL proxy writes it in text
 * format (wire-form.ts: `null`, and types a masked text is no valid value of, send SQL NULL; json gets a JSON
 * string); in storage `null` is written as the redact form, as everywhere outside the wire.
 */
export function maskRows(
  policy: CompiledPolicy,
  connection: string,
  columns: Array<{ name: string; table: string | null; typeOid: number }>,
  rows: Array<Array<string | null>>,
): MaskedRows {
  const views: PreviewColumnView[] = columns.map((c) => ({
    name: c.name,
    table: c.table,
    type_oid: c.typeOid,
    rule: policy.columns({ connection, table: c.table, name: c.name }) ?? null,
  }));
  const agent = rows.map((row) =>
    row.map((value, i): PreviewCell => {
      const rule = views[i]?.rule;
      if (value === null || !rule?.wire) return cell(value, []);
      return cell(wireValue(policy, rule, views[i]!.type_oid, value), [rule.rule]);
    }),
  );
  const stored = rows.map((row) =>
    row.map((value, i): PreviewCell => {
      const rule = views[i]?.rule;
      if (value === null) return cell(null, []);
      if (rule) return cell(policy.maskValue(value, rule.action, rule.rule), [rule.rule]);
      const masked = policy.text.mask(value);
      return cell(masked.text, Object.keys(masked.counts));
    }),
  );
  return { columns: views, database: rows.map((row) => row.map(shorten)), agent, stored };
}

function cell(value: string | null, maskedBy: string[]): PreviewCell {
  return { value: shorten(value), masked_by: maskedBy };
}

function shorten(value: string | null): string | null {
  return value !== null && value.length > MAX_CELL_CHARS ? `${value.slice(0, MAX_CELL_CHARS)}…` : value;
}
