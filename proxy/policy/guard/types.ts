import type { Actor } from '../actor.js';

/**
 * The guardrails contract (DESIGN.md, "Guardrails and just-in-time approvals"; issue 17): the *facts* that
 * classifiers extract from an operation, the *rules* (plain, serialisable data in policy.json) that match
 * facts, the *decision* a rule yields, and the approval broker that holds an operation until a person
 * decides. Classifiers (sql.ts, shell.ts, file-tools.ts), the rule compiler (rules.ts) and the enforcement
 * points (PostgreSQL proxy, Claude Code hook) meet only here.
 */

/** What a PostgreSQL statement does, from the most to the least harmless; `unknown` is never assumed safe. */
export type SqlEffect = 'read' | 'insert' | 'update' | 'delete' | 'ddl' | 'dcl' | 'utility' | 'unknown';

/** One statement of a Query message, as the PostgreSQL parser sees it. */
export interface SqlStatementFacts {
  /** The statement's own effect; a data-modifying CTE counts by what it modifies. */
  effect: SqlEffect;
  /** The parse tree's node name (`SelectStmt`, `DeleteStmt`, `DropStmt`, …), or `ParseError`. */
  node: string;
  /** The command as PostgreSQL's command tag would name it (`SELECT`, `DELETE`, `DROP TABLE`, `ALTER TABLE`). */
  command: string;
  /** Relations read, as written (`orders`, `public.orders`), lower-cased unless quoted; unique, sorted. */
  reads: string[];
  /** Relations written (inserted, updated, deleted, altered, dropped, truncated), same form; unique, sorted. */
  writes: string[];
  /** An UPDATE or DELETE (also inside a CTE) with no WHERE, or a WHERE that is constant true (`WHERE true`, `1=1`). */
  noWhere: boolean;
  /** Functions of note it calls, lower-cased, unqualified (`pg_terminate_backend`, `dblink_exec`, `lo_import`). */
  functions: string[];
  /** `COPY … TO/FROM PROGRAM`. */
  copyProgram: boolean;
  /** `ALTER TABLE … DROP COLUMN/CONSTRAINT`. */
  alterDrop: boolean;
}

/** A whole Query message (one or more statements) classified; the most dangerous part wins. */
export interface SqlFacts {
  /** The most dangerous statement's effect (order: unknown > ddl > dcl > delete > update > insert > utility > read). */
  effect: SqlEffect;
  statements: SqlStatementFacts[];
  /** Union of the statements' fields, for rules that look at the message as a whole. */
  reads: string[];
  writes: string[];
  noWhere: boolean;
  functions: string[];
  copyProgram: boolean;
  alterDrop: boolean;
  /** Commands of every statement (`DROP TABLE`, `TRUNCATE`), unique, in order. */
  commands: string[];
  /** The parser's message when the text does not parse (effect is then `unknown`). */
  parseError?: string;
}

/** One simple command a shell command line would run, found through pipes, lists, substitutions and wrappers. */
export interface ShellCommandFacts {
  /** The program's name as invoked, without its directory (`rm`, `git`, `psql`); `sudo rm` gives `rm`. */
  name: string;
  /** The path as written when it had one (`/bin/rm`, `./deploy.sh`). */
  path?: string;
  /**
   * True when the name comes from an expansion that only running the line would tell (`$(echo rm) -rf /`,
   * `$CMD x`): `name` is then the word as written. Rules should treat such a command as unknown.
   */
  unresolved?: boolean;
  /** Wrappers looked through, outermost first (`sudo`, `env`, `xargs`, `timeout`, `sh -c`). */
  via: string[];
  /**
   * Flags, normalised: each is its long name without dashes where the command's table knows it (`rm -rf`,
   * `-fr`, `-r -f`, `--recursive --force` all give `["force", "recursive"]`), else the letter or name without
   * dashes (`-x` → `x`, `--dry-run` → `dry-run`). Unique, sorted.
   */
  flags: string[];
  /** Subcommands for tools that have them (`git push` → `["push"]`, `kubectl delete pod` → `["delete"]`, `aws s3 rm` → `["s3", "rm"]`). */
  subcommands: string[];
  /** Positional arguments after flags and subcommands, with quotes removed; `$VAR`/`$(…)` left as written. */
  args: string[];
  /** Positional arguments that name files, resolved to absolute paths against the working directory (`~` → home). */
  paths: string[];
  /**
   * Files its output redirections write (`> f`, `>> f`, `&> f`, also of an enclosing `{ …; } > f`), resolved
   * like `paths`; absent when there are none. Rules add `tee`'s paths and the destination of
   * `cp`/`mv`/`install`/`ln` to these (command-facts.ts `writtenPaths`).
   */
  writes?: string[];
  /** True when this command's stdin is fed by a pipe from a download (`curl …|sh`, `wget -O- …|bash`). */
  pipedFromDownload: boolean;
}

/** A shell command line (a Claude Code `Bash` tool call) classified. */
export interface ShellFacts {
  commands: ShellCommandFacts[];
  /** SQL that the command line passes to `psql -c`/`psql -f` (file contents read when the file exists). */
  sql: string[];
  /** The parser's complaint when the line does not parse cleanly (commands found so far are still listed). */
  parseError?: string;
}

/** A file tool call (`Write`, `Edit`, `MultiEdit`, `NotebookEdit`) classified. */
export interface FileFacts {
  tool: string;
  /** Paths written, absolute, resolved against the session's working directory (`~` → home). */
  paths: string[];
}

/** What an operation is, for the rules: one of the classifiers' facts. */
export type OperationFacts =
  | { kind: 'sql'; text: string; sql: SqlFacts }
  | { kind: 'bash'; command: string; shell: ShellFacts; sql: SqlFacts[] }
  | { kind: 'file'; file: FileFacts }
  | { kind: 'tool'; tool: string };

/** Who and where: what rules may match besides the operation. */
export interface GuardContext {
  /** The PostgreSQL connection's name (config.json), for SQL. */
  connection?: string;
  /** The session's working directory (Claude Code's `cwd`), for shell and file tools. */
  cwd?: string;
  /** The user's home directory, for `~` in paths and patterns. */
  home: string;
  /** The session's identity: OS user, and OIDC subject/email/groups once sign-in exists. */
  identity?: { os_user?: string; email?: string; groups?: string[] };
  /**
   * Why a SQL text cannot be read as the server will read it (the session's client_encoding is not UTF-8 and
   * the text is not ASCII; standard_conforming_strings is off and a backslash moves a literal's end): the
   * statement is then classified as `unknown`, never as what the UTF-8, standard reading would make it.
   */
  sqlUnreadable?: string;
}

/** What a rule asks for. */
export type GuardAction = 'allow' | 'flag' | 'block' | 'approve';

/** The rule that decided, as events and errors name it. */
export interface DecidingRule {
  id: string;
  message: string;
  /** True for a rule of the built-in default policy. */
  builtin: boolean;
  /**
   * An `approve` rule whose approvals the approvers of `group` decide through the team server (rule-schema.ts
   * `route`); absent: decided on this machine.
   */
  route?: { group: string; allowSelfApproval: boolean };
  /** With a team policy: the layer whose rule decided (policy/team-layers.ts); absent otherwise. */
  source?: 'team' | 'local' | 'default';
}

/** The outcome of matching an operation's facts against the policy's rules: first match wins. */
export interface GuardDecision {
  action: GuardAction;
  /** Absent when no rule matched (`allow`). */
  rule?: DecidingRule;
}

/** The guard an enforcement point asks: classify, then decide. Never throws on what a client sends. */
export interface Guard {
  /** A Query message's (or Parse message's) SQL text. */
  sql(text: string, context: GuardContext): { facts: OperationFacts; decision: GuardDecision };
  /** A Claude Code tool call (`Bash`, `Write`, …) with its input as the hook receives it. */
  toolCall(
    tool: string,
    input: unknown,
    context: GuardContext,
  ): { facts: OperationFacts; decision: GuardDecision };
}

/** An approval's life (DESIGN.md): `pending` → `approved` | `denied` | `expired` | `withdrawn`. */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'withdrawn';

/** What an approval covers once approved: this exact operation once, or the same rule in the same session for a time. */
export type ApprovalScope = { type: 'once' } | { type: 'session'; until_us: number };

/** The operation an approval is asked for, as the inbox, the events and the CLI show it (no secrets: masked text). */
export interface ApprovalSubject {
  session_id: string;
  /** The `pg.statement` / `http.request` / `guard.check` event that asked, in that session. */
  request_seq: number;
  /** `sql` for a PostgreSQL statement, `bash`/`file`/`tool` for a Claude Code tool call. */
  kind: OperationFacts['kind'];
  /** The operation as text (SQL, the command line, the tool and its paths), masked for storage. */
  text: string;
  /**
   * SHA-256 hex of the exact operation: what `once` covers. A Query's SQL bytes; an Execute's Parse SQL with
   * the Bind's parameters (postgres/guard-statements.ts); a tool call's name and input.
   */
  operation_hash: string;
  facts: OperationFacts;
  rule: DecidingRule;
  /** The session's client, target and identity, for the approver. */
  client?: string;
  target?: string;
  identity?: GuardContext['identity'];
  /** Extra context for the approver: the planner's row estimate, the driving Claude session's last prompt. */
  context?: { estimated_rows?: number; estimate_of?: string; prompt?: string; prompt_session_id?: string };
  /**
   * How the enforcement point waits: `hold` (default) keeps the operation until `settled`, so an approved
   * `once` is used by that operation; `retry` refuses it at once and lets the same operation (the same
   * `operation_hash` and rule, in the same session) through exactly once afterwards, through
   * {@link ApprovalBroker.covered}.
   */
  mode?: 'hold' | 'retry';
}

/** One approval, as the `approvals` table and the control API hold it. */
export interface Approval {
  id: string;
  subject: ApprovalSubject;
  status: ApprovalStatus;
  /** µs since the epoch. */
  requested_at: number;
  expires_at: number;
  decided_at?: number;
  /**
   * Who decided: the OS user, and when signed in the person the OIDC provider verified (`verified: true`,
   * subject, email, name, issuer, groups; see policy/actor.ts); `via` the client they decided through.
   */
  decided_by?: Partial<Actor> & { self_approved?: boolean; via: string };
  reason?: string;
  scope?: ApprovalScope;
}

/** How a held operation ends: go ahead, or be refused with a reason the client is shown. */
export type ApprovalOutcome =
  | { status: 'approved'; approval: Approval }
  | { status: 'denied' | 'expired' | 'withdrawn'; approval: Approval };

/**
 * The approval broker (proxy/policy/approvals/): holds operations until a person decides. Enforcement points
 * call `request` and wait on `settled`; the control API, CLI and desktop call `decide`; a client that goes
 * away calls `withdraw`. Every transition is recorded (`approval.requested`, `approval.decided`) in the
 * requesting session's chain and in the `approvals` table.
 */
export interface ApprovalBroker {
  /**
   * A standing approval that already covers this operation (scope `session` for the same rule and session,
   * or an unused `once` approval of the same operation hash and rule in the same session in `retry` mode),
   * consumed when `once`.
   */
  covered(subject: Pick<ApprovalSubject, 'session_id' | 'operation_hash' | 'rule'>): Approval | undefined;
  /** Records `approval.requested` and returns the pending approval and a promise of its outcome (never rejects). */
  request(subject: ApprovalSubject): { approval: Approval; settled: Promise<ApprovalOutcome> };
  /** @throws UserError when the id is unknown or the approval is no longer pending */
  decide(
    id: string,
    decision: {
      approve: boolean;
      reason?: string;
      scope?: ApprovalScope;
      by: NonNullable<Approval['decided_by']>;
    },
  ): Approval;
  /**
   * Adds context that arrived after the request (the planner's row estimate) to a pending approval's
   * `subject.context`: recorded (`approval.annotated` in the chain, and the row), and subscribers are told.
   * Returns the approval as it is now, or undefined when it is no longer pending (then nothing changes).
   * Optional: an enforcement point without it simply shows no late context. Never throws for a bad id.
   */
  annotate?(id: string, context: NonNullable<ApprovalSubject['context']>): Approval | undefined;
  /** The client went away or cancelled: a pending approval becomes `withdrawn` (no-op otherwise). */
  withdraw(id: string, why: string): void;
  get(id: string): Approval | undefined;
  /** Pending first, newest first; `all` includes decided ones. */
  list(options?: { all?: boolean; limit?: number }): Approval[];
  /** Called on every change (new request, decision, expiry, withdrawal); returns an unsubscribe function. */
  subscribe(listener: (approval: Approval) => void): () => void;
}

/**
 * The guard's state for /api/health (policy/guard/component.ts). `ok`: both parsers loaded; `unavailable`:
 * at least one could not be loaded at start (`reason` says which and why), so operations that a rule needs
 * it for are refused (fail closed) while everything else, recording included, goes on; `stopped`: not
 * running.
 */
export interface GuardHealth {
  status: 'ok' | 'unavailable' | 'stopped';
  /** `guardrails.enabled` of the policy in force. */
  enabled: boolean;
  reason?: string;
}
