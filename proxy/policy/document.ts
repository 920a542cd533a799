/**
 * The policy document, `$GLASSBOX_HOME/policy.json` (DESIGN.md, "Policy"): rule *definitions* as plain,
 * serialisable data, validated by a zod schema whose errors name the field and the fix. Every field is
 * optional; what is left out takes the built-in default (defaults.ts). The matchers that run are built from a
 * parsed document by compile.ts.
 */

import { existsSync, readFileSync } from 'node:fs';
import safeRegex from 'safe-regex2';
import { z } from 'zod';
import { UserError } from '../common/errors.js';
import { CONNECTION_NAME } from '../config.js';
import { DEFAULT_OUTBOUND_DETECTORS, DEFAULT_PARTIAL_KEEP, DEFAULT_SENSITIVE_COLUMNS } from './defaults.js';
import { BUILTIN_DETECTORS } from './detectors/index.js';
import { globProblem } from './glob-cost.js';
import { BUILTIN_RULE_IDS } from './guard/default-rules.js';
import { approvalsSchema, checkGuardRules, GUARD_FIELDS, guardrailsSchema } from './guard/rule-schema.js';
import type { Detector, MaskAction } from './masking/types.js';

/** The document version this Glassbox reads. */
export const POLICY_VERSION = 1;

/** A column rule's action: a {@link MaskAction}, or `none` to leave matching columns unmasked. */
export type ColumnAction = MaskAction | { type: 'none' };

const NAMES = ['redact', 'partial', 'hash', 'null', 'none'] as const;
type ActionName = (typeof NAMES)[number];
const TEXT_ACTIONS: readonly ActionName[] = ['redact', 'partial', 'hash'];
const COLUMN_ACTIONS: readonly ActionName[] = ['redact', 'partial', 'hash', 'null', 'none'];
const DICTIONARY_ACTIONS: readonly ActionName[] = ['redact', 'partial', 'hash', 'null'];
const MAX_KEEP = 64;

/**
 * An action as written: `"redact"`, `"partial"` (keeps {@link DEFAULT_PARTIAL_KEEP}), `"hash"`, `"null"`,
 * `"none"`, or an object `{ "type": "partial", "keep": 6 }`; parsed to its object form. `allowed` are the
 * names valid where it stands.
 */
function action<T extends ColumnAction>(allowed: readonly ActionName[]) {
  const listed = allowed.map((name) => `"${name}"`).join(', ');
  const expected = `must be one of ${listed}, or {"type": "partial", "keep": 4}`;
  return z.unknown().transform((value, ctx): T => {
    const object = typeof value === 'object' && value !== null && !Array.isArray(value);
    const type = typeof value === 'string' ? value : object ? (value as { type?: unknown }).type : undefined;
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (value === undefined) return fail(`is required: it ${expected}`);
    if (typeof type !== 'string' || !(NAMES as readonly string[]).includes(type)) return fail(expected);
    if (!allowed.includes(type as ActionName)) {
      return fail(
        type === 'null'
          ? '"null" applies to PostgreSQL column rules only (a NULL on the wire); use "redact" here'
          : `${expected} ("${type}" is not valid here)`,
      );
    }
    let keep = DEFAULT_PARTIAL_KEEP;
    if (object) {
      const { type: _type, keep: given, ...rest } = value as { type: string; keep?: unknown };
      const extra = Object.keys(rest);
      if (extra.length > 0) return fail(`unknown field "${extra[0]}" in the action: ${expected}`);
      if (given !== undefined) {
        if (type !== 'partial') return fail(`"keep" applies to "partial" only`);
        if (!Number.isInteger(given) || (given as number) < 0 || (given as number) > MAX_KEEP)
          return fail(`"keep" must be a whole number of characters from 0 to ${MAX_KEEP}`);
        keep = given as number;
      }
    }
    return (type === 'partial' ? { type, keep } : { type }) as T;
  });
}

const detectorSetting = z
  .object({
    /** Whether the detector runs (default: on). */
    enabled: z.boolean({ error: 'must be true or false' }).optional(),
    /** What replaces what it finds (default: defaults.ts `defaultAction`). */
    action: action<MaskAction>(TEXT_ACTIONS).optional(),
  })
  .strict();

const customRule = z
  .object({
    /** `custom.` and lower-case letters, digits or `_`: what events and spans name it by. */
    id: z
      .string()
      .regex(/^custom\.[a-z0-9_]{1,60}$/, 'must be "custom." followed by lower-case letters, digits or _'),
    description: z.string().max(200).optional(),
    /** A JavaScript regular expression (without slashes); each match is masked. */
    pattern: z.string().min(1, 'must be a regular expression, e.g. "EMP-[0-9]{6}"').max(2_000),
    /** Regular expression flags: any of i, m, s, u (g is always on). */
    flags: z
      .string()
      .regex(/^(?!.*(.).*\1)[imsu]*$/, 'may hold only the flags i, m, s and u, each once')
      .default(''),
    /**
     * Literal strings a text must hold one of (case-insensitively) for the pattern to run at all: a prefilter
     * that keeps it off texts that cannot match. Empty: it runs on every text.
     */
    keywords: z.array(z.string().min(1, 'a keyword must not be empty')).max(50).default([]),
    action: action<MaskAction>(TEXT_ACTIONS).default({ type: 'redact' }),
  })
  .strict();

const columnRule = z
  .object({
    /** `column`, `table.column` or `schema.table.column`; each part a name or a glob with `*`. */
    match: z
      .string()
      .regex(
        /^[^.\s]+(\.[^.\s]+){0,2}$/,
        'must be "column", "table.column" or "schema.table.column" (a part may use * as a wildcard)',
      )
      .superRefine((match, context) => {
        const problem = globProblem(match, /\./);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      }),
    /** Only results of this PostgreSQL connection (as named in config.json); default any. */
    connection: z.string().regex(CONNECTION_NAME, 'must be a connection name from config.json').optional(),
    action: action<ColumnAction>(COLUMN_ACTIONS),
    /** Also mask on the PostgreSQL wire, so the client never receives the value (default: storage only). */
    wire: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .strict();

const sensitiveColumns = z
  .object({
    /** Whether the default dictionary of sensitive column names applies. */
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    action: action<MaskAction>(DICTIONARY_ACTIONS).default({ type: 'redact' }),
    wire: z.boolean({ error: 'must be true or false' }).default(false),
    /** Names to treat as sensitive too (matched by the same word rule). */
    add: z.array(z.string().regex(/^[A-Za-z0-9_]+$/, 'must be a column name such as "salary"')).default([]),
    /** Dictionary names to stop treating as sensitive. */
    remove: z.array(z.string()).default([]),
  })
  .strict();

const outbound = z
  .object({
    /** Replace what the listed detectors find in requests to the Anthropic API before they leave. */
    enabled: z.boolean({ error: 'must be true or false' }).default(false),
    detectors: z.array(z.string()).default([...DEFAULT_OUTBOUND_DETECTORS]),
  })
  .strict();

/** The policy document's structure (field-level checks; {@link parsePolicy} adds the cross-checks). */
export const PolicySchema = z
  .object({
    version: z
      .literal(POLICY_VERSION, {
        error: `must be ${POLICY_VERSION} (a newer Glassbox wrote this file? Upgrade Glassbox to read it)`,
      })
      .default(POLICY_VERSION),
    /** Per detector id, or `secret.*`, `pii.*`, `custom.*`, `*` for every detector of a kind. */
    detectors: z.record(z.string(), detectorSetting).default({}),
    custom: z.array(customRule).max(200).default([]),
    /** PostgreSQL result columns; the first rule that matches a column wins, before the dictionary. */
    columns: z.array(columnRule).max(1_000).default([]),
    sensitiveColumns: sensitiveColumns.prefault({}),
    outbound: outbound.prefault({}),
    /** Guard rules (guard/rule-schema.ts): what is flagged, blocked or held for an approver. */
    guardrails: guardrailsSchema.prefault({}),
    /** How held operations wait for a decision. */
    approvals: approvalsSchema.prefault({}),
  })
  .strict();

/** A parsed policy document: every field present, actions in their object form. */
export type PolicyDocument = z.infer<typeof PolicySchema>;
/** One `custom` entry of a parsed document. */
export type CustomRule = PolicyDocument['custom'][number];
/** One `columns` entry of a parsed document. */
export type ColumnRule = PolicyDocument['columns'][number];
/** A `detectors` entry of a parsed document. */
export type DetectorSetting = PolicyDocument['detectors'][string];

/** One problem in a policy document: where (`detectors["pii.email"].action`) and what to do. */
export interface PolicyIssue {
  path: string;
  message: string;
}

/** A policy document that cannot be used; `issues` name each field and the fix. */
export class PolicyError extends UserError {
  constructor(
    readonly source: string,
    readonly issues: PolicyIssue[],
  ) {
    super(`Invalid policy in ${source}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'PolicyError';
  }
}

/** The built-in default policy: what applies without a policy.json. */
export function defaultPolicy(): PolicyDocument {
  return PolicySchema.parse({});
}

/** Kinds a `detectors` key or an `outbound.detectors` entry may name with a wildcard. */
export const DETECTOR_WILDCARDS = ['*', 'secret.*', 'pii.*', 'custom.*'] as const;

/**
 * Validates a policy document (already parsed from JSON) against the schema and the detectors it may name.
 * @param source where it came from, for the error ("/home/me/.glassbox/policy.json", "the draft")
 * @throws PolicyError naming each invalid field and the fix
 */
export function parsePolicy(
  raw: unknown,
  source: string,
  detectors: readonly Detector[] = BUILTIN_DETECTORS,
): PolicyDocument {
  const result = PolicySchema.safeParse(raw);
  if (!result.success) {
    throw new PolicyError(
      source,
      result.error.issues.map((issue) => ({ path: fieldPath(issue.path), message: describeIssue(issue) })),
    );
  }
  const issues = crossCheck(result.data, detectors);
  if (issues.length > 0) throw new PolicyError(source, issues);
  return result.data;
}

/**
 * Reads and validates a policy file; `null` when it does not exist (the default policy applies).
 * @throws PolicyError for invalid JSON or an invalid document; Error when it exists but cannot be read
 */
export function readPolicyFile(path: string): PolicyDocument | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PolicyError(path, [
      { path: '(file)', message: `not valid JSON (${(error as Error).message}); fix it or delete the file` },
    ]);
  }
  return parsePolicy(raw, path);
}

function crossCheck(doc: PolicyDocument, detectors: readonly Detector[]): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const customIds = new Set<string>();
  doc.custom.forEach((rule, i) => {
    if (customIds.has(rule.id))
      issues.push({ path: `custom[${i}].id`, message: `"${rule.id}" is used twice; give each its own id` });
    customIds.add(rule.id);
    const problem = patternProblem(rule.pattern, rule.flags);
    if (problem) issues.push({ path: `custom[${i}].pattern`, message: problem });
  });
  const known = new Set([...detectors.map((d) => d.id), ...customIds, ...DETECTOR_WILDCARDS]);
  const unknown = (id: string) =>
    `no detector has the id "${id}"; \`glassbox policy show\` lists them (wildcards: ${DETECTOR_WILDCARDS.join(', ')})`;
  for (const id of Object.keys(doc.detectors)) {
    if (!known.has(id)) issues.push({ path: fieldPath(['detectors', id]), message: unknown(id) });
  }
  doc.outbound.detectors.forEach((id, i) => {
    if (!known.has(id)) issues.push({ path: `outbound.detectors[${i}]`, message: unknown(id) });
  });
  doc.sensitiveColumns.remove.forEach((name, i) => {
    if (!DEFAULT_SENSITIVE_COLUMNS.includes(name)) {
      issues.push({
        path: `sensitiveColumns.remove[${i}]`,
        message: `"${name}" is not in the default dictionary (${DEFAULT_SENSITIVE_COLUMNS.join(', ')})`,
      });
    }
  });
  issues.push(...checkGuardRules(doc.guardrails, BUILTIN_RULE_IDS));
  return issues;
}

/** Why a custom pattern cannot be used, or null when it can. */
function patternProblem(pattern: string, flags: string): string | null {
  let re: RegExp;
  try {
    re = new RegExp(pattern, `g${flags}`);
  } catch (error) {
    return `not a valid regular expression: ${(error as Error).message}`;
  }
  if (re.exec('')?.[0] === '')
    return 'matches the empty text, so it would match everywhere; make it require at least one character';
  // Custom patterns run on every recorded text: one that backtracks exponentially (a quantified group whose
  // body is quantified, e.g. (a+)+ or (\w+\s?)*) could stall the engine on a crafted input.
  // safe-regex2's parser knows no lookbehind; read it as a plain group for the repetition check.
  if (!safeRegex(pattern.replace(/\(\?<[=!]/g, '(?:')))
    return 'repeats a group that itself repeats (like (a+)+), which can take exponential time on some texts; rewrite it without the nested repetition';
  return null;
}

/** A zod issue path as people read it: `custom[0].pattern`, `detectors["pii.email"].action`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key))) out += out ? `.${String(key)}` : String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Fields each object of the document may hold, for "unknown field" messages. */
const FIELDS: Record<string, string> = {
  top: 'version, detectors, custom, columns, sensitiveColumns, outbound, guardrails, approvals',
  detectors: 'enabled, action',
  custom: 'id, description, pattern, flags, keywords, action',
  columns: 'match, connection, action, wire',
  sensitiveColumns: 'enabled, action, wire, add, remove',
  outbound: 'enabled, detectors',
  ...GUARD_FIELDS,
};

/** The FIELDS key of an issue's object: its first name, or every name for the guard sections' nested objects. */
function section(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'top';
  const first = String(path[0]);
  if (first !== 'guardrails' && first !== 'approvals') return first;
  return path.filter((key) => typeof key === 'string').join('.');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `unknown field ${keys}: remove it or check its spelling (fields here: ${FIELDS[section(issue.path)] ?? '?'})`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}
