/**
 * Column rules for PostgreSQL results (DESIGN.md, "Masking"): which columns of a result are masked, how, and
 * whether on the wire too — built from a policy document's `columns` rules and `sensitiveColumns`
 * dictionary.
 */
import { DEFAULT_SENSITIVE_COLUMNS } from './defaults.js';
import type { ColumnRule, PolicyDocument } from './document.js';
import type { MaskAction } from './masking/types.js';

/** A result column as the PostgreSQL proxy knows it (RowDescription, its table OID resolved). */
export interface ColumnRef {
  /** The Glassbox connection name (config.json). */
  connection: string;
  /** `schema.table` (or `table`) the column comes from; null for an expression (`SELECT 1 AS x`). */
  table: string | null;
  /** The column's name as RowDescription gives it. */
  name: string;
}

/** How a column is masked: the action, whether on the wire too, and the rule's id (counts, `[MASKED:…]`). */
export interface ColumnMask {
  action: MaskAction;
  /** True: the client receives the masked value too; false: only what is stored is masked. */
  wire: boolean;
  /** `column.` and the rule's `match` (`column.customers.email`) or the dictionary entry (`column.email`). */
  rule: string;
}

/** Columns remembered per matcher; past this the memory starts afresh (aliases are unbounded). */
const CACHE_LIMIT = 10_000;

/**
 * The words of a column name, lower-case, for the dictionary's word rule: split at anything but letters and
 * digits (`_`, `-`, spaces), at lower-to-upper case changes (`customerEmail`, `APIKey` → `api`, `key`) and
 * between letters and digits; words of digits only are dropped (`phone2` → `phone`, `address_line_2` →
 * `address`, `line`).
 */
export function columnWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])|([0-9])([A-Za-z])/g, '$1$3 $2$4')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '' && !/^[0-9]+$/.test(word));
}

/**
 * Builds the column matcher of a policy: the document's `columns` rules in order (the first that matches
 * wins; `none` leaves the column unmasked), then the sensitive-column dictionary, matched by the word rule:
 * a column matches an entry when the entry's words are the last words of its name ({@link columnWords}), so
 * `email` matches `billing_email` and `customerEmail` but not `emails_sent_count` or `email_verified`.
 *
 * A rule's `match` is `column`, `table.column` or `schema.table.column`, compared case-insensitively, each
 * part a name or a glob (`*` any run of characters). Without a table part (or with `*.`) it matches the
 * column in any table and in expressions; with `table.` it matches that table in any schema; with
 * `schema.table.` only there.
 * @returns a function answering in O(1) for columns seen before (a bounded memory of answers)
 */
export function columnMatcher(doc: PolicyDocument): (column: ColumnRef) => ColumnMask | undefined {
  const rules = doc.columns.map(compileRule);
  const dictionary = compileDictionary(doc.sensitiveColumns);
  const cache = new Map<string, ColumnMask | null>();
  return (column) => {
    const key = `${column.connection}\u0000${column.table ?? ''}\u0000${column.name}`;
    const known = cache.get(key);
    if (known !== undefined) return known ?? undefined;
    const found = match(column, rules, dictionary);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, found ?? null);
    return found;
  };
}

interface CompiledRule {
  rule: ColumnRule;
  id: string;
  column: RegExp;
  /** Table part: absent = any (and none); `schema` only when the rule names one. */
  table?: RegExp;
  schema?: RegExp;
}

function match(
  column: ColumnRef,
  rules: readonly CompiledRule[],
  dictionary: (name: string) => ColumnMask | undefined,
): ColumnMask | undefined {
  for (const compiled of rules) {
    if (!ruleMatches(compiled, column)) continue;
    const { action, wire } = compiled.rule;
    return action.type === 'none' ? undefined : { action, wire, rule: compiled.id };
  }
  return dictionary(column.name);
}

/**
 * The sensitive-column dictionary as a lookup by column name: the entries (default ones minus `remove`,
 * plus `add`) indexed by their last word, each matching names that end with its words.
 */
function compileDictionary(
  settings: PolicyDocument['sensitiveColumns'],
): (name: string) => ColumnMask | undefined {
  if (!settings.enabled) return () => undefined;
  const names = new Set(DEFAULT_SENSITIVE_COLUMNS.filter((name) => !settings.remove.includes(name)));
  for (const name of settings.add) names.add(name);
  const byLastWord = new Map<string, Array<{ name: string; words: string[] }>>();
  for (const name of names) {
    const words = columnWords(name);
    const last = words[words.length - 1];
    if (last === undefined) continue;
    byLastWord.set(last, [...(byLastWord.get(last) ?? []), { name, words }]);
  }
  return (column) => {
    const words = columnWords(column);
    const candidates = byLastWord.get(words[words.length - 1] ?? '');
    const entry = candidates?.find(
      (c) =>
        c.words.length <= words.length &&
        c.words.every((w, i) => words[words.length - c.words.length + i] === w),
    );
    return entry && { action: settings.action, wire: settings.wire, rule: `column.${entry.name}` };
  };
}

function ruleMatches(compiled: CompiledRule, column: ColumnRef): boolean {
  if (compiled.rule.connection !== undefined && compiled.rule.connection !== column.connection) return false;
  if (!compiled.column.test(column.name)) return false;
  if (!compiled.table) return true;
  if (column.table === null) return false;
  const dot = column.table.lastIndexOf('.');
  const table = dot < 0 ? column.table : column.table.slice(dot + 1);
  if (!compiled.table.test(table)) return false;
  if (!compiled.schema) return true;
  return dot >= 0 && compiled.schema.test(column.table.slice(0, dot));
}

function compileRule(rule: ColumnRule): CompiledRule {
  const parts = rule.match.split('.');
  const columnPart = parts.pop()!;
  const tablePart = parts.pop();
  const schemaPart = parts.pop();
  const compiled: CompiledRule = { rule, id: `column.${rule.match}`, column: glob(columnPart) };
  if (tablePart !== undefined && !(tablePart === '*' && schemaPart === undefined))
    compiled.table = glob(tablePart);
  if (schemaPart !== undefined && schemaPart !== '*') compiled.schema = glob(schemaPart);
  return compiled;
}

/** A `*` glob as an anchored, case-insensitive regular expression. */
function glob(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 'is');
}
