/**
 * The built-in guard rules (issue 17, point 3), as plain data: they apply after a policy file's own rules
 * (unless `guardrails.defaults` is false), and a file rule with one of their ids replaces it. Without a
 * policy.json these are the whole guard policy.
 *
 * PostgreSQL: `approve` for DROP, TRUNCATE, DELETE/UPDATE without WHERE, ALTER TABLE … DROP, statements of
 * unknown effect and COPY … PROGRAM; `flag` for other DDL and DCL. Claude Code: `approve` for `rm` with
 * recursive+force outside the working directory, force pushes to `main`/`master`/`release*` (a force push
 * naming no branch counts), `curl|wget … | sh`, `terraform destroy`, `kubectl delete`, `aws s3 rm
 * --recursive`, `gcloud … delete`, DROP/TRUNCATE inside `psql -c`; `flag` for writes to `.env*`, `~/.ssh/**`
 * and `~/.aws/**`.
 */
import type { GuardRuleDefinition } from './rule-schema.js';

/** Branch names a force push to needs an approval by default. */
export const PROTECTED_BRANCHES: readonly string[] = ['main', 'master', 'release*'];

/** Files whose writes are flagged by default. */
export const SECRET_FILES: readonly string[] = ['.env*', '~/.ssh/**', '~/.aws/**'];

const SHELLS = ['sh', 'bash', 'zsh', 'dash', 'ksh'];

/** The built-in rules, in order (approvals before flags: the first match wins). */
export const BUILTIN_GUARD_RULES: readonly GuardRuleDefinition[] = [
  {
    id: 'pg.drop',
    action: 'approve',
    message: 'DROP removes a database object and its data for good',
    match: { sql: { command: ['DROP *'] } },
  },
  {
    id: 'pg.truncate',
    action: 'approve',
    message: 'TRUNCATE empties whole tables',
    match: { sql: { command: ['TRUNCATE*'] } },
  },
  {
    id: 'pg.delete-without-where',
    action: 'approve',
    message: 'DELETE without a WHERE clause deletes every row of the table',
    match: { sql: { effect: 'delete', noWhere: true } },
  },
  {
    id: 'pg.update-without-where',
    action: 'approve',
    message: 'UPDATE without a WHERE clause changes every row of the table',
    match: { sql: { effect: 'update', noWhere: true } },
  },
  {
    id: 'pg.alter-drop',
    action: 'approve',
    message: 'ALTER TABLE … DROP removes a column or constraint',
    match: { sql: { alterDrop: true } },
  },
  {
    id: 'pg.copy-program',
    action: 'approve',
    message: 'COPY … PROGRAM runs a program on the database server',
    match: { sql: { copyProgram: true } },
  },
  {
    id: 'pg.unknown',
    action: 'approve',
    message: 'Glassbox cannot tell what this statement does (DO, CALL, EXECUTE, or text it cannot parse)',
    match: { sql: { effect: 'unknown' } },
  },
  {
    id: 'pg.ddl',
    action: 'flag',
    message: 'a schema change (DDL)',
    match: { sql: { effect: 'ddl' } },
  },
  {
    id: 'pg.dcl',
    action: 'flag',
    message: 'a change of roles or privileges (DCL)',
    match: { sql: { effect: 'dcl' } },
  },
  {
    id: 'shell.rm-outside-cwd',
    action: 'approve',
    message: 'rm -rf outside the working directory',
    match: { shell: { command: ['rm'], flags: ['recursive', 'force'], outsideCwd: true } },
  },
  {
    id: 'shell.git-force-push',
    action: 'approve',
    message: `a force push to a protected branch (${PROTECTED_BRANCHES.join(', ')})`,
    match: { shell: { command: ['git'], forcePushTo: [...PROTECTED_BRANCHES] } },
  },
  {
    id: 'shell.download-to-shell',
    action: 'approve',
    message: 'runs a downloaded script (curl/wget piped into a shell)',
    match: { shell: { command: SHELLS, pipedFromDownload: true } },
  },
  {
    id: 'shell.terraform-destroy',
    action: 'approve',
    message: 'terraform destroy removes the infrastructure it manages',
    match: { shell: { command: ['terraform', 'tofu'], subcommands: ['destroy'] } },
  },
  {
    id: 'shell.terraform-apply-destroy',
    action: 'approve',
    message: 'terraform apply -destroy removes the infrastructure it manages',
    match: { shell: { command: ['terraform', 'tofu'], subcommands: ['apply'], flags: ['destroy'] } },
  },
  {
    id: 'shell.kubectl-delete',
    action: 'approve',
    message: 'kubectl delete removes Kubernetes resources',
    match: { shell: { command: ['kubectl'], subcommands: ['delete'] } },
  },
  {
    id: 'shell.aws-s3-rm-recursive',
    action: 'approve',
    message: 'aws s3 rm --recursive deletes every object under a prefix',
    match: { shell: { command: ['aws'], subcommands: ['s3', 'rm'], flags: ['recursive'] } },
  },
  {
    id: 'shell.gcloud-delete',
    action: 'approve',
    message: 'gcloud … delete removes cloud resources',
    match: { shell: { command: ['gcloud'], subcommands: ['**', 'delete'] } },
  },
  {
    id: 'shell.psql-drop-truncate',
    action: 'approve',
    message: 'DROP or TRUNCATE through psql',
    match: { shell: { sqlInside: { command: ['DROP *', 'TRUNCATE*'] } } },
  },
  {
    id: 'files.write-secrets',
    action: 'flag',
    message: 'writes a file that usually holds secrets (.env, ~/.ssh, ~/.aws)',
    match: { file: { paths: [...SECRET_FILES] }, shell: { writes: [...SECRET_FILES] } },
  },
];

/** The built-in rules' ids. */
export const BUILTIN_RULE_IDS: ReadonlySet<string> = new Set(BUILTIN_GUARD_RULES.map((rule) => rule.id));
