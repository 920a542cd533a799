/**
 * How an approval reads in the inbox: its facts as short chips ("DELETE · no WHERE · public.orders"), the
 * planner's estimate, the time left, and the inbox's order. Pure functions over the control API's shapes
 * (proxy/policy/guard/types.ts); every field is read defensively, since facts come from classifiers built
 * elsewhere and an old row may lack some.
 */
import type { Approval, OperationFacts } from '../../../proxy/api/types';
import { count } from '../format';

/** Most chips shown for one approval; the rest are summed up in a last `+N more` chip. */
const MAX_CHIPS = 8;

type SqlFacts = Extract<OperationFacts, { kind: 'sql' }>['sql'];
type ShellCommand = Extract<OperationFacts, { kind: 'bash' }>['shell']['commands'][number];

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/** Chips of a classified SQL text: commands, no WHERE, tables written, functions of note, parse failure. */
export function sqlChips(sql: Partial<SqlFacts> | undefined): string[] {
  if (!sql || typeof sql !== 'object') return [];
  const chips: string[] = [];
  const commands = strings(sql.commands);
  if (commands.length) chips.push(...commands);
  else if (typeof sql.effect === 'string')
    chips.push(sql.effect === 'unknown' ? 'unknown effect' : sql.effect);
  if (sql.noWhere) chips.push('no WHERE');
  if (sql.copyProgram) chips.push('COPY … PROGRAM');
  if (sql.alterDrop) chips.push('ALTER … DROP');
  const writes = strings(sql.writes);
  chips.push(...writes);
  if (writes.length === 0) chips.push(...strings(sql.reads).map((table) => `reads ${table}`));
  chips.push(...strings(sql.functions).map((name) => `${name}()`));
  if (typeof sql.parseError === 'string') chips.push('does not parse');
  return chips;
}

/** One shell command as a chip: name, subcommands and normalised flags (`rm --force --recursive`). */
function commandChip(command: Partial<ShellCommand>): string {
  const words = [String(command.name ?? '?'), ...strings(command.subcommands)];
  words.push(...strings(command.flags).map((flag) => (flag.length === 1 ? `-${flag}` : `--${flag}`)));
  return words.join(' ');
}

/** The facts of an operation as chips, in reading order, without repeats, at most {@link MAX_CHIPS}. */
export function factChips(facts: OperationFacts | undefined): string[] {
  const chips: string[] = [];
  const f = facts as Partial<Record<string, unknown>> & { kind?: string };
  if (!f || typeof f !== 'object') return chips;
  if (f.kind === 'sql') {
    chips.push(...sqlChips(f.sql as SqlFacts | undefined));
  } else if (f.kind === 'bash') {
    const shell = (f.shell ?? {}) as Partial<Extract<OperationFacts, { kind: 'bash' }>['shell']>;
    const commands = Array.isArray(shell.commands) ? shell.commands : [];
    for (const command of commands) {
      chips.push(commandChip(command));
      for (const via of strings(command.via)) chips.push(`via ${via}`);
      if (command.pipedFromDownload) chips.push('piped from a download');
      chips.push(...strings(command.paths));
    }
    for (const sql of Array.isArray(f.sql) ? (f.sql as SqlFacts[]) : []) chips.push(...sqlChips(sql));
    if (typeof shell.parseError === 'string') chips.push('does not parse cleanly');
  } else if (f.kind === 'file') {
    const file = (f.file ?? {}) as Partial<Extract<OperationFacts, { kind: 'file' }>['file']>;
    if (typeof file.tool === 'string') chips.push(file.tool);
    chips.push(...strings(file.paths));
  } else if (f.kind === 'tool' && typeof f.tool === 'string') {
    chips.push(f.tool);
  }
  const unique = [...new Set(chips)];
  if (unique.length <= MAX_CHIPS) return unique;
  return [...unique.slice(0, MAX_CHIPS - 1), `+${unique.length - MAX_CHIPS + 1} more`];
}

/** The planner's estimate as the approver reads it: `≈ 12,000 rows of public.orders`; null without one. */
export function estimateText(context: Approval['subject']['context']): string | null {
  const rows = context?.estimated_rows;
  if (typeof rows !== 'number' || !Number.isFinite(rows)) return null;
  const of = context?.estimate_of ? ` of ${context.estimate_of}` : '';
  return `≈ ${count(rows)} row${rows === 1 ? '' : 's'}${of}`;
}

/** Time left until `expiresUs` at `nowUs` (µs since epoch): `4:07 left`, `1:02:00 left`, or `expiring…`. */
export function timeLeft(expiresUs: number, nowUs: number): string {
  const seconds = Math.floor((expiresUs - nowUs) / 1_000_000);
  if (seconds <= 0) return 'expiring…';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s} left` : `${m}:${s} left`;
}

/** The inbox's order: pending first, then the decided; newest request first within each (as the API lists). */
export function compareApprovals(a: Approval, b: Approval): number {
  const pending = Number(b.status === 'pending') - Number(a.status === 'pending');
  if (pending !== 0) return pending;
  if (a.requested_at !== b.requested_at) return b.requested_at - a.requested_at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * `list` with `approval` added or replacing the one of the same id, in inbox order. An answer that arrives
 * late never takes an approval back to `pending` once it is known to be decided (a list read before a live
 * decision message, answered after it).
 */
export function upsertApproval(list: readonly Approval[], approval: Approval): Approval[] {
  const known = list.find((a) => a.id === approval.id);
  if (known && known.status !== 'pending' && approval.status === 'pending') return list as Approval[];
  const next = list.filter((a) => a.id !== approval.id);
  next.push(approval);
  return next.sort(compareApprovals);
}

/**
 * `current` with a freshly read list merged in, in inbox order: each approval as read, unless `current`
 * already knows it decided and the read still says pending (a live message overtook the read); approvals
 * only `current` holds (older than the read's limit, or requested since) stay.
 */
export function mergeApprovals(current: readonly Approval[], read: readonly Approval[]): Approval[] {
  const byId = new Map(current.map((a) => [a.id, a]));
  for (const approval of read) {
    const known = byId.get(approval.id);
    if (!(known && known.status !== 'pending' && approval.status === 'pending'))
      byId.set(approval.id, approval);
  }
  return [...byId.values()].sort(compareApprovals);
}

/** How many of `list` are pending (the header's badge). */
export function pendingCount(list: readonly Approval[]): number {
  return list.reduce((n, a) => n + (a.status === 'pending' ? 1 : 0), 0);
}

/** Who asked: the identity's OS user or email, or `unknown user` when the session had none. */
export function requester(subject: Approval['subject']): string {
  return subject.identity?.os_user ?? subject.identity?.email ?? 'unknown user';
}

/** A decision's scope in words: `once`, or `this rule in this session until 14:05:00`. */
export function scopeText(scope: Approval['scope'], clock: (us: number) => string): string | null {
  if (!scope) return null;
  return scope.type === 'session' ? `this rule in this session until ${clock(scope.until_us)}` : 'once';
}
