/**
 * Whether a WHERE clause is constant true: `true`, `1=1`, `'a'='a'`, `NOT false`, `'t'`, `'yes'::boolean`,
 * `1 IN (1, 2)`, `2 BETWEEN 1 AND 3`, `NULL IS NULL`, `x = x`, and AND/OR/NOT of these. It folds constants the
 * way PostgreSQL would for these few forms (boolean input per src/backend/utils/adt/bool.c, parse_bool); any
 * other expression (a column, a function, a subquery, a parameter) is not constant, so the answer errs towards
 * "has a WHERE". A foldable expression nested deeper than MAX_DEPTH (`NOT NOT … true`) is taken as constant
 * true: nothing real writes that, and assuming it selects every row is the safe side.
 */
import { isFields, type PgFields, type PgNode, str, stringList, unwrap } from './sql-nodes.js';

/** A folded constant; `null` is SQL NULL. */
type Constant = boolean | number | string | null;

const MAX_DEPTH = 200;

/** Thrown when folding goes deeper than MAX_DEPTH. */
class TooDeep extends Error {}

/** PostgreSQL's boolean input (parse_bool): `t`, `true`, `y`, `yes`, `on`, `1` and their false twins, any case. */
export function parseBool(text: string): boolean | undefined {
  const s = text.trim().toLowerCase();
  if (s === '') return undefined;
  if ('true'.startsWith(s) || 'yes'.startsWith(s) || s === 'on' || s === '1') return true;
  if ('false'.startsWith(s) || 'no'.startsWith(s) || 'off'.startsWith(s) || s === '0') {
    return s === 'o' ? undefined : false;
  }
  return undefined;
}

function toBool(value: Constant): boolean | null | undefined {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  return parseBool(value);
}

function constant(fields: PgFields): Constant | undefined {
  if (fields.isnull === true) return null;
  const wrapper = (name: string): PgFields | undefined => {
    const v = fields[name];
    return isFields(v) ? v : undefined;
  };
  const bool = wrapper('boolval');
  if (bool) return bool.boolval === true;
  const int = wrapper('ival');
  if (int) return typeof int.ival === 'number' ? int.ival : 0;
  const float = wrapper('fval');
  if (float) return Number(str(float, 'fval', 'NaN'));
  const text = wrapper('sval');
  if (text) return str(text, 'sval');
  return undefined;
}

const NUMERIC_TYPES = new Set(['int', 'int2', 'int4', 'int8', 'integer', 'smallint', 'bigint', 'numeric']);
const FLOAT_TYPES = new Set(['float4', 'float8', 'real', 'decimal']);

function cast(value: Constant, typeNames: string[]): Constant | undefined {
  const type = (typeNames[typeNames.length - 1] ?? '').toLowerCase();
  if (value === null) return null;
  if (type === 'bool' || type === 'boolean') return toBool(value);
  if (NUMERIC_TYPES.has(type) || FLOAT_TYPES.has(type)) {
    const n = typeof value === 'boolean' ? Number.NaN : Number(value);
    return Number.isNaN(n) ? undefined : n;
  }
  if (type === 'text' || type === 'varchar' || type === 'bpchar') return String(value);
  return undefined;
}

/** Compare two constants as PostgreSQL would after resolving an unknown-typed literal to the other side's type. */
function compare(op: string, l: Constant, r: Constant): boolean | null | undefined {
  if (l === null || r === null) return null;
  let a: boolean | number | string | undefined = l;
  let b: boolean | number | string | undefined = r;
  if (typeof l === 'boolean' || typeof r === 'boolean') {
    a = toBool(l) ?? undefined;
    b = toBool(r) ?? undefined;
  } else if (typeof l === 'number' || typeof r === 'number') {
    a = Number(l);
    b = Number(r);
    if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  } else if (op !== '=' && op !== '<>' && op !== '!=') {
    return undefined; // text ordering depends on the collation
  }
  if (a === undefined || b === undefined) return undefined;
  switch (op) {
    case '=':
      return a === b;
    case '<>':
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    default:
      return undefined;
  }
}

/** The same column written twice (`id = id`): true for every row whose value is not NULL. */
function sameColumn(l: unknown, r: unknown): boolean {
  const a = unwrap(l);
  const b = unwrap(r);
  if (a?.type !== 'ColumnRef' || b?.type !== 'ColumnRef') return false;
  const names = (n: PgNode) => stringList(n.fields.fields).join('.');
  return names(a) !== '' && names(a) === names(b);
}

function listItems(value: unknown): unknown[] {
  const list = unwrap(value);
  if (list?.type === 'List' && Array.isArray(list.fields.items)) return list.fields.items;
  return Array.isArray(value) ? value : [];
}

function boolOf(value: unknown, depth: number): boolean | null | undefined {
  const v = fold(value, depth);
  return v === undefined ? undefined : toBool(v);
}

function foldBoolExpr(f: PgFields, depth: number): Constant | undefined {
  const args = Array.isArray(f.args) ? f.args.map((a) => boolOf(a, depth + 1)) : [];
  const op = str(f, 'boolop');
  if (op === 'NOT_EXPR') {
    const v = args[0];
    return v === undefined || v === null ? v : !v;
  }
  const absorbing = op === 'OR_EXPR'; // true absorbs OR, false absorbs AND
  if (args.includes(absorbing)) return absorbing;
  if (args.includes(undefined)) return undefined;
  if (args.includes(null)) return null;
  return !absorbing;
}

function foldAExpr(f: PgFields, depth: number): Constant | undefined {
  const kind = str(f, 'kind');
  const op = stringList(f.name).at(-1) ?? '';
  if (kind === 'AEXPR_OP' && (op === '=' || op === '<=' || op === '>=') && sameColumn(f.lexpr, f.rexpr)) {
    return true;
  }
  const l = fold(f.lexpr, depth + 1);
  if (l === undefined) return undefined;
  if (kind === 'AEXPR_OP') {
    const r = fold(f.rexpr, depth + 1);
    return r === undefined ? undefined : compare(op, l, r);
  }
  if (kind === 'AEXPR_DISTINCT' || kind === 'AEXPR_NOT_DISTINCT') {
    const r = fold(f.rexpr, depth + 1);
    if (r === undefined) return undefined;
    const same = l === null || r === null ? l === r : compare('=', l, r);
    if (same === undefined || same === null) return undefined;
    return kind === 'AEXPR_DISTINCT' ? !same : same;
  }
  const items = listItems(f.rexpr).map((item) => fold(item, depth + 1));
  if (items.includes(undefined)) return undefined;
  const values = items as Constant[];
  if (kind === 'AEXPR_IN') {
    const hits = values.map((v) => compare('=', l, v));
    if (hits.includes(undefined)) return undefined;
    const found = hits.includes(true) ? true : hits.includes(null) ? null : false;
    return op === '<>' && found !== null ? !found : found;
  }
  if ((kind === 'AEXPR_BETWEEN' || kind === 'AEXPR_NOT_BETWEEN') && values.length === 2) {
    const low = compare('>=', l, values[0] ?? null);
    const high = compare('<=', l, values[1] ?? null);
    if (low === undefined || high === undefined || low === null || high === null) return undefined;
    return kind === 'AEXPR_BETWEEN' ? low && high : !(low && high);
  }
  return undefined;
}

function fold(value: unknown, depth: number): Constant | undefined {
  const node = unwrap(value);
  if (!node) return undefined;
  if (depth > MAX_DEPTH) throw new TooDeep();
  const f = node.fields;
  switch (node.type) {
    case 'A_Const':
      return constant(f);
    case 'TypeCast': {
      const v = fold(f.arg, depth + 1);
      const typeName = isFields(f.typeName) ? stringList(f.typeName.names) : [];
      return v === undefined ? undefined : cast(v, typeName);
    }
    case 'BoolExpr':
      return foldBoolExpr(f, depth);
    case 'A_Expr':
      return foldAExpr(f, depth);
    case 'NullTest': {
      const v = fold(f.arg, depth + 1);
      if (v === undefined) return undefined;
      return str(f, 'nulltesttype') === 'IS_NULL' ? v === null : v !== null;
    }
    case 'BooleanTest': {
      const v = boolOf(f.arg, depth + 1);
      if (v === undefined) return undefined;
      switch (str(f, 'booltesttype')) {
        case 'IS_TRUE':
          return v === true;
        case 'IS_NOT_TRUE':
          return v !== true;
        case 'IS_FALSE':
          return v === false;
        case 'IS_NOT_FALSE':
          return v !== false;
        case 'IS_UNKNOWN':
          return v === null;
        case 'IS_NOT_UNKNOWN':
          return v !== null;
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}

/** True when a WHERE clause (a wrapped expression node) is constant true, so it selects every row. */
export function isConstantTrue(where: unknown): boolean {
  try {
    return boolOf(where, 0) === true;
  } catch (error) {
    if (error instanceof TooDeep) return true;
    throw error;
  }
}
