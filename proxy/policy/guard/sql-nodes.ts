/**
 * Reading the JSON parse trees that libpg-query returns (PostgreSQL's raw parse tree, src/include/nodes/
 * parsenodes.h of PostgreSQL 17, printed by libpg_query's JSON output functions). Two shapes occur:
 * a field typed `Node *` or `List *` holds *wrapped* nodes, `{ "DeleteStmt": { …fields } }`, while a field typed
 * as one struct (`RangeVar *relation`, `IntoClause *into`, `FuncCall *funccall`) holds the struct's fields
 * directly. Fields at their default value (false, 0, empty) are left out.
 */

/** One node's fields, as the JSON tree holds them. */
export type PgFields = { readonly [field: string]: unknown };

/** A wrapped node: its type name (`SelectStmt`, `RangeVar`, `A_Const`) and its fields. */
export interface PgNode {
  type: string;
  fields: PgFields;
}

/** True for a JSON object (not an array, not null). */
export function isFields(value: unknown): value is PgFields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The wrapped node `value` holds (`{ "Type": { … } }`, one key, its name capitalised), or undefined. */
export function unwrap(value: unknown): PgNode | undefined {
  if (!isFields(value)) return undefined;
  let found: PgNode | undefined;
  for (const key in value) {
    if (found) return undefined;
    const inner = value[key];
    const first = key.charCodeAt(0);
    if (first < 65 || first > 90 || !isFields(inner)) return undefined;
    found = { type: key, fields: inner };
  }
  return found;
}

/**
 * True when `fields` are a RangeVar's (a relation named in FROM, INTO, UPDATE, …), wrapped or not: the
 * parser always sets `relname` and `relpersistence` ('p', 'u' or 't') on one.
 */
export function isRangeVar(fields: PgFields): boolean {
  return typeof fields.relname === 'string' && typeof fields.relpersistence === 'string';
}

/** True when an unwrapped struct is a FuncCall (`CALL p()` holds one directly). */
export function isFuncCall(fields: PgFields): boolean {
  return Array.isArray(fields.funcname) && typeof fields.funcformat === 'string';
}

/**
 * A RangeVar's name as written: `catalog.schema.relation` with the parts given, each as the parser left it
 * (unquoted identifiers folded to lower case, quoted ones kept as written, without the quotes).
 */
export function rangeVarName(fields: PgFields): string {
  const parts: string[] = [];
  for (const part of [fields.catalogname, fields.schemaname, fields.relname]) {
    if (typeof part === 'string' && part !== '') parts.push(part);
  }
  return parts.join('.');
}

/** The strings of a list of `String` nodes (qualified names, option words), skipping anything else. */
export function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value) {
    const node = unwrap(item);
    if (node?.type === 'String' && typeof node.fields.sval === 'string') out.push(node.fields.sval);
  }
  return out;
}

/** A field as a string, or `fallback` when absent (the JSON output omits defaults). */
export function str(fields: PgFields, name: string, fallback = ''): string {
  const value = fields[name];
  return typeof value === 'string' ? value : fallback;
}

/** A boolean field; absent means false. */
export function flag(fields: PgFields, name: string): boolean {
  return fields[name] === true;
}
