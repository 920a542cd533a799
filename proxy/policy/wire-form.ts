/**
 * Masked values on the PostgreSQL wire, by column type: shared by the PostgreSQL proxy (which rewrites
 * DataRows) and the masking preview (which shows the rows as the agent would get them), so both write the
 * same thing.
 */
import type { ColumnMask } from './column-rules.js';

/**
 * How a masked value of a type is written in text format on the wire, so that it stays valid for the type:
 * `text` (text, varchar, bpchar, name, unknown) takes the masked text as it is; `json` (json, jsonb) takes it
 * as a JSON string; every other type (numbers, dates, uuid, bool, arrays, bytea, types of extensions whose OID
 * is not built in) becomes NULL, since `[MASKED:…]` or `hash:…` is no valid value of it. Built-in type OIDs
 * from the PostgreSQL source, src/include/catalog/pg_type.dat.
 */
export type WireForm = 'text' | 'json' | 'null';

const TEXT_TYPES = new Set([
  25, // text
  1043, // varchar
  1042, // bpchar
  19, // name
  705, // unknown
]);
const JSON_TYPES = new Set([114, 3802]); // json, jsonb

/** The {@link WireForm} of a column of type `typeOid` (see there). */
export function wireForm(typeOid: number): WireForm {
  if (TEXT_TYPES.has(typeOid)) return 'text';
  if (JSON_TYPES.has(typeOid)) return 'json';
  return 'null';
}

/**
 * What a wire rule sends in place of a non-NULL text-format value of a column of type `typeOid`: null for SQL
 * NULL (the `null` action, and types that `[MASKED:…]` is no valid value of), a JSON string for json/jsonb,
 * else the masked text. Binary-format values of masked columns are always NULL (not decided here).
 */
export function wireValue(
  policy: { maskValue(value: string, action: ColumnMask['action'], id: string): string },
  mask: Pick<ColumnMask, 'action' | 'rule'>,
  typeOid: number,
  value: string,
): string | null {
  return wireValueAs(policy, mask, wireForm(typeOid), value);
}

/** {@link wireValue} for a column whose {@link WireForm} is known (the proxy works it out once per column). */
export function wireValueAs(
  policy: { maskValue(value: string, action: ColumnMask['action'], id: string): string },
  mask: Pick<ColumnMask, 'action' | 'rule'>,
  form: WireForm,
  value: string,
): string | null {
  if (form === 'null' || mask.action.type === 'null') return null;
  const masked = policy.maskValue(value, mask.action, mask.rule);
  return form === 'json' ? JSON.stringify(masked) : masked;
}
