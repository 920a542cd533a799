/**
 * The policy document's `guardrails` and `approvals` sections (DESIGN.md, "Guardrails and just-in-time
 * approvals"; issue 17, point 2): guard rules as plain, serialisable data, validated by zod with errors that
 * name the field and the fix. The matcher that runs is built from them by rules.ts; the built-in rules are in
 * default-rules.ts. The parsed sections keep what the file says (no transforms), so a parsed document
 * serialised and parsed again means the same.
 */

import { z } from 'zod';
import { CONNECTION_NAME } from '../../config.js';
import { globProblem } from '../glob-cost.js';
import type { GuardAction, SqlEffect } from './types.js';

/** Every {@link SqlEffect}, for `effect` conditions. */
export const SQL_EFFECTS = [
  'read',
  'insert',
  'update',
  'delete',
  'ddl',
  'dcl',
  'utility',
  'unknown',
] as const satisfies readonly SqlEffect[];
/** Every {@link GuardAction}. */
export const GUARD_ACTIONS = ['allow', 'flag', 'block', 'approve'] as const satisfies readonly GuardAction[];
/** A rule id: lower-case letters, digits, `.`, `_`, `-` (`pg.delete-without-where`, `team.no-prod-ddl`). */
export const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,79}$/;

const bool = z.boolean({ error: 'must be true or false' });
const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

/** A non-empty list of non-empty strings; `example` shows the fix in the error. */
function patterns(example: string, check?: { re: RegExp; message: string }) {
  const text = check
    ? z.string({ error: `each entry must be a string, e.g. ${example}` }).regex(check.re, check.message)
    : z.string({ error: `each entry must be a string, e.g. ${example}` }).min(1, 'must not be empty');
  // A glob that would backtrack for seconds on a long value is refused (a team policy runs on every engine).
  const item = text.superRefine((pattern, context) => {
    const problem = globProblem(pattern);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
  return z
    .array(item, { error: `must be a list, e.g. [${example}]` })
    .min(1, `must name at least one, e.g. [${example}]; leave the field out to match any`)
    .max(200);
}

const effect = z.enum(SQL_EFFECTS, { error: `must be one of ${quoted(SQL_EFFECTS)}` });

/**
 * Conditions on a PostgreSQL statement's facts (types.ts `SqlStatementFacts`). All given conditions must hold
 * for one statement of the message; a list is any-of. Patterns are globs (`*`, `?`, `[…]`, `{a,b}`),
 * matched without regard to case.
 */
const sqlMatchSchema = z
  .object({
    /** The statement's effect: one or a list. */
    effect: z
      .union([effect, z.array(effect).min(1, 'must name at least one effect')], {
        error: `must be one of ${quoted(SQL_EFFECTS)}, or a list of them`,
      })
      .optional(),
    /** Command tags (`DROP TABLE`, `TRUNCATE TABLE`, `ALTER TABLE`), globs: `DROP *`. */
    command: patterns('"DROP *"').optional(),
    /**
     * Tables, `schema.table` or `table`, globs per part (`public.*`, `*.orders`). A qualified pattern matches
     * an unqualified name in the facts as `public.<name>`; an unqualified pattern matches the table in any
     * schema.
     */
    tables: patterns('"public.orders"', {
      re: /^[^.\s]+(\.[^.\s]+)?$/,
      message: 'must be "table" or "schema.table" (a part may use * as a wildcard)',
    }).optional(),
    /** Which tables `tables` looks at: those written, those read, or either (default). */
    tablesIn: z.enum(['writes', 'reads', 'any'], { error: 'must be "writes", "reads" or "any"' }).optional(),
    /** An UPDATE/DELETE without a WHERE (or with a constant-true one). */
    noWhere: bool.optional(),
    /** Functions of note it calls, globs: `dblink*`, `pg_terminate_backend`. */
    functions: patterns('"pg_terminate_backend"').optional(),
    /** `COPY … TO/FROM PROGRAM`. */
    copyProgram: bool.optional(),
    /** `ALTER TABLE … DROP COLUMN/CONSTRAINT`. */
    alterDrop: bool.optional(),
  })
  .strict();

/**
 * Conditions on a shell command line (a Claude Code `Bash` call, types.ts `ShellFacts`). The per-command
 * conditions must all hold for one simple command of the line; `sqlInside` looks at the SQL the line hands
 * to `psql`.
 */
const shellMatchSchema = z
  .object({
    /** Program names (`rm`, `git`), globs; wrappers such as `sudo` are looked through by the classifier. */
    command: patterns('"rm"').optional(),
    /** Flags the command must all have, by their normalised names (`force`, `recursive`; dashes optional). */
    flags: patterns('"recursive"', {
      re: /^-{0,2}[A-Za-z0-9][A-Za-z0-9._-]*$/,
      message: 'must be a flag name such as "force" or "--force"',
    }).optional(),
    /**
     * The command's words after its name, flags left out (subcommands, then arguments), matched from the
     * start; each a glob, `**` standing for any number of words: `["push"]`, `["s3", "rm"]`, `["**", "delete"]`.
     */
    subcommands: patterns('"push"').optional(),
    /** Paths it names (absolute, `~` is the home directory; a pattern without `/` matches the file name anywhere). */
    paths: patterns('"~/.ssh/**"').optional(),
    /** Files it writes (redirections, `tee`, the target of `cp`/`mv`/`install`/`ln`), same patterns. */
    writes: patterns('".env*"').optional(),
    /** A path it names lies outside the session's working directory (the directory itself counts as outside). */
    outsideCwd: bool.optional(),
    /** Its input is piped from a download (`curl … | sh`). */
    pipedFromDownload: bool.optional(),
    /**
     * A `git push` that forces (`--force`, `-f`, `--force-with-lease`, a `+branch` refspec) or deletes onto a
     * branch matching one of these globs (`*` matches `/` too); a push naming no branch counts as matching.
     */
    forcePushTo: patterns('"main"').optional(),
    /** The SQL the line passes to `psql -c`/`-f`: a nested SQL match, as under `match.sql`. */
    sqlInside: sqlMatchSchema.optional(),
  })
  .strict();

/** Conditions on a file tool call (`Write`, `Edit`, `MultiEdit`, `NotebookEdit`; types.ts `FileFacts`). */
const fileMatchSchema = z
  .object({
    /** Tool names, exactly as Claude Code names them (`Write`). */
    tool: patterns('"Write"').optional(),
    /** Paths written, patterns as under `shell.paths`. */
    paths: patterns('".env*"').optional(),
  })
  .strict();

/**
 * What a rule matches. `sql`, `shell` and `file` are alternatives: the rule matches an operation of a kind it
 * names whose conditions hold there; a rule naming none of them matches every operation. `connection` and
 * `groups` must hold as well when given.
 */
const matchSchema = z
  .object({
    sql: sqlMatchSchema.optional(),
    shell: shellMatchSchema.optional(),
    file: fileMatchSchema.optional(),
    /** PostgreSQL connection names from config.json, any-of (never holds for Claude Code tool calls). */
    connection: patterns('"prod"', {
      re: CONNECTION_NAME,
      message: 'must be a connection name from config.json',
    }).optional(),
    /** The session identity's groups, any-of (never holds when the session has no groups). */
    groups: patterns('"dba"').optional(),
  })
  .strict();

/** Where an `approve` rule's approvals go: the approvers of a group on the team server. */
export const routeSchema = z
  .object({
    /** The team server's approver group, as the groups claim of the approvers' tokens names it. */
    group: z
      .string({ error: 'is required: the approvers\' group, e.g. "db-approvers"' })
      .min(1, 'must not be empty, e.g. "db-approvers"')
      .max(256),
    /** Whether the requester may approve their own request (default false: somebody else must). */
    allowSelfApproval: bool.default(false),
  })
  .strict();

/** One guard rule as written in policy.json. */
export const guardRuleSchema = z
  .object({
    /** Stable id, named by events, errors and approvals: `pg.drop`, `team.no-prod-ddl`. */
    id: z
      .string({ error: 'is required: a stable name such as "team.no-prod-ddl"' })
      .regex(
        RULE_ID,
        'must be lower-case letters, digits, ".", "_" or "-" (at most 80), e.g. "team.no-prod-ddl"',
      ),
    action: z.enum(GUARD_ACTIONS, { error: `must be one of ${quoted(GUARD_ACTIONS)}` }),
    /** What the client and the approver are shown. Required unless the id names a built-in rule or the action is allow. */
    message: z.string().min(1, 'must not be empty').max(500).optional(),
    /** Required unless the id names a built-in rule (whose match it then keeps). */
    match: matchSchema.optional(),
    /**
     * `approve` rules only: the approval goes to the team server (config.json `team.url`) and is decided by
     * the approvers of `group`, not on this machine (issue 19, point 6).
     */
    route: routeSchema.optional(),
  })
  .strict();

/** The `guardrails` section. */
export const guardrailsSchema = z
  .object({
    /** Off: every operation is allowed and nothing is classified for rules. */
    enabled: bool.default(true),
    /** The built-in rules (default-rules.ts) apply after the file's own. */
    defaults: bool.default(true),
    /** The file's rules, in order: the first that matches an operation decides. */
    rules: z.array(guardRuleSchema, { error: 'must be a list of rules' }).max(1_000).default([]),
  })
  .strict();

/** The longest duration a setting accepts: 24 hours, in ms. */
const MAX_DURATION_MS = 24 * 3_600_000;
const DURATION_RE = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/**
 * A duration as written, in ms: `"5m"`, `"90s"`, `"1h30m"`, `"500ms"`, or a number of seconds (`300`, `0.5`).
 * @returns undefined when it is not a duration
 */
export function durationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1000) : undefined;
  const m = DURATION_RE.exec(value.trim());
  if (!m || value.trim() === '') return undefined;
  const [h, min, s, ms] = m.slice(1).map((part) => Number(part ?? 0));
  return ((h! * 60 + min!) * 60 + s!) * 1000 + ms!;
}

/** A duration as people read it: `5m`, `1h30m`, `90s` → `1m30s`, `500ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const rest = ms % 1000;
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s) parts.push(`${s}s`);
  if (rest) parts.push(`${rest}ms`);
  return parts.join('');
}

function duration(fallback: string) {
  const expected = 'must be a duration such as "5m", "90s", "1h30m" or "500ms", or a number of seconds';
  return z
    .union([z.string(), z.number()], { error: expected })
    .refine((value) => durationMs(value) !== undefined, expected)
    .refine((value) => (durationMs(value) ?? 1) > 0, 'must be longer than zero')
    .refine((value) => (durationMs(value) ?? 0) <= MAX_DURATION_MS, 'must be at most 24h')
    .default(fallback);
}

/** The `approvals` section: how held operations wait (the broker and the enforcement points read it). */
export const approvalsSchema = z
  .object({
    /** `hold`: the operation waits for the decision; `retry`: refused at once, allowed once when approved. */
    mode: z.enum(['hold', 'retry'], { error: 'must be "hold" or "retry"' }).default('hold'),
    /** How long a request waits before it expires. */
    timeout: duration('5m'),
    /** How long "approve for the session" lasts unless the approver says otherwise. */
    sessionScope: duration('15m'),
    /** What `glassbox hook claude-code` does when the engine is not running. */
    engineDown: z.enum(['deny', 'allow'], { error: 'must be "deny" or "allow"' }).default('deny'),
  })
  .strict();

/** A guard rule as written (parsed). */
export type GuardRuleDefinition = z.infer<typeof guardRuleSchema>;
/** A rule's `route`, after defaults. */
export type GuardRoute = z.infer<typeof routeSchema>;
/** A rule's `match`. */
export type GuardMatch = z.infer<typeof matchSchema>;
/** `match.sql` (and `match.shell.sqlInside`). */
export type SqlMatch = z.infer<typeof sqlMatchSchema>;
/** `match.shell`. */
export type ShellMatch = z.infer<typeof shellMatchSchema>;
/** `match.file`. */
export type FileMatch = z.infer<typeof fileMatchSchema>;
/** The parsed `guardrails` section. */
export type GuardrailsSection = z.infer<typeof guardrailsSchema>;
/** The parsed `approvals` section (durations as written). */
export type ApprovalsSection = z.infer<typeof approvalsSchema>;

/** The approvals settings in force, durations resolved to ms. */
export interface ApprovalSettings {
  mode: 'hold' | 'retry';
  /** How long a request waits before it expires, ms. */
  timeoutMs: number;
  /** The default length of "approve for the session", ms. */
  sessionScopeMs: number;
  engineDown: 'deny' | 'allow';
}

/** The approvals settings of a parsed section, durations in ms. */
export function approvalSettings(section: ApprovalsSection): ApprovalSettings {
  return {
    mode: section.mode,
    timeoutMs: durationMs(section.timeout)!,
    sessionScopeMs: durationMs(section.sessionScope)!,
    engineDown: section.engineDown,
  };
}

/** Fields each object of these sections may hold, for "unknown field" messages (keyed by the path's names). */
export const GUARD_FIELDS: Record<string, string> = {
  guardrails: 'enabled, defaults, rules',
  'guardrails.rules': 'id, action, message, match, route',
  'guardrails.rules.route': 'group, allowSelfApproval',
  'guardrails.rules.match': 'sql, shell, file, connection, groups',
  'guardrails.rules.match.sql': Object.keys(sqlMatchSchema.shape).join(', '),
  'guardrails.rules.match.shell': Object.keys(shellMatchSchema.shape).join(', '),
  'guardrails.rules.match.shell.sqlInside': Object.keys(sqlMatchSchema.shape).join(', '),
  'guardrails.rules.match.file': Object.keys(fileMatchSchema.shape).join(', '),
  approvals: 'mode, timeout, sessionScope, engineDown',
};

/**
 * Checks across rules: ids used once; a rule that does not name a built-in rule has a `match`, and a
 * `message` unless it allows.
 * @param builtinIds the built-in rules' ids (a rule with one of them replaces that built-in rule)
 */
export function checkGuardRules(
  section: GuardrailsSection,
  builtinIds: ReadonlySet<string>,
): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const seen = new Set<string>();
  section.rules.forEach((rule, i) => {
    const at = `guardrails.rules[${i}]`;
    if (seen.has(rule.id))
      issues.push({ path: `${at}.id`, message: `"${rule.id}" is used twice; give each rule its own id` });
    seen.add(rule.id);
    if (rule.route && rule.action !== 'approve')
      issues.push({
        path: `${at}.route`,
        message: `only an "approve" rule routes approvals to a group (this rule's action is "${rule.action}"): remove route or make the action "approve"`,
      });
    if (builtinIds.has(rule.id)) return;
    if (!rule.match)
      issues.push({
        path: `${at}.match`,
        message:
          'is required (e.g. {"sql": {"effect": "delete"}}); only a rule replacing a built-in one may leave it out',
      });
    if (!rule.message && rule.action !== 'allow')
      issues.push({
        path: `${at}.message`,
        message: 'is required: the sentence the client and the approver see',
      });
  });
  return issues;
}
