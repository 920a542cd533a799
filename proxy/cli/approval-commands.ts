/**
 * `glassbox approvals`, `glassbox approve ID` and `glassbox deny ID`: the approver's command line (issue 17,
 * point 6). Approvals are held by the running engine, so these talk to its control API (engine-client.ts);
 * a decision is recorded there, in the requesting session's chain, as the OS user running the engine.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { ApprovalResponse, ApprovalsResponse, ApproveRequest, DenyRequest } from '../api/types.js';
import { UserError } from '../common/errors.js';
import { nowMicros } from '../common/time.js';
import { glassboxHome } from '../config.js';
import { formatDuration, parseDuration } from '../policy/approvals/duration.js';
import type { Approval } from '../policy/guard/types.js';
import { connectToEngine, EngineApiError } from './engine-client.js';
import { cliCommand } from './env.js';
import { timestamp } from './format.js';

/** Adds `approvals`, `approve` and `deny` to the program. */
export function addApprovalCommands(program: Command): void {
  program
    .command('approvals')
    .description('list approvals waiting for a decision (held statements and tool calls), newest first')
    .option('--json', 'print a JSON array of approval objects')
    .option('--all', 'include decided, expired and withdrawn ones')
    .action(async (options: { json?: boolean; all?: boolean }) => {
      const engine = connectToEngine(glassboxHome());
      const answer = await engine.call<ApprovalsResponse>(
        'GET',
        `/api/approvals?limit=200${options.all ? '&all=1' : ''}`,
      );
      if (options.json) return void process.stdout.write(`${JSON.stringify(answer.approvals, null, 2)}\n`);
      if (answer.approvals.length === 0) {
        const line = options.all
          ? 'No approvals yet.'
          : 'No approvals are waiting. (`--all` lists decided ones too.)';
        return void process.stdout.write(`${line}\n`);
      }
      process.stdout.write(approvalsTable(answer.approvals, answer.now));
      if (answer.pending > 0)
        process.stdout.write(
          `\nDecide with \`${cliCommand()} approve ID [--for 15m]\` or \`${cliCommand()} deny ID --reason TEXT\`.\n`,
        );
    });

  program
    .command('approve')
    .description(
      'let a held operation go ahead: this exact one once, or with --for the same rule in its session for a time',
    )
    .argument('<id>', 'the approval id (ap_…; case and the ap_ prefix may be left out)')
    .option(
      '--for <duration>',
      'approve the same rule in the same session for this long, e.g. 15m, 1h (up to 24h)',
      durationArg,
    )
    .option('--reason <text>', 'why, recorded with the decision')
    .action(async (id: string, options: { for?: string; reason?: string }) => {
      const body: ApproveRequest = { via: 'cli', ...options };
      const { approval } = await decide(id, 'approve', body);
      process.stdout.write(`${describeDecision(approval)}\n`);
    });

  program
    .command('deny')
    .description('refuse a held operation; the agent or client is shown the reason')
    .argument('<id>', 'the approval id (ap_…)')
    .requiredOption('--reason <text>', 'why (required: the requester sees it)')
    .action(async (id: string, options: { reason: string }) => {
      if (options.reason.trim() === '') throw new UserError('--reason must say why the operation is denied');
      const body: DenyRequest = { reason: options.reason, via: 'cli' };
      const { approval } = await decide(id, 'deny', body);
      process.stdout.write(`${describeDecision(approval)}\n`);
    });
}

/** POSTs a decision; an unknown id or one no longer pending is said in words. */
async function decide(
  id: string,
  action: 'approve' | 'deny',
  body: ApproveRequest | DenyRequest,
): Promise<ApprovalResponse> {
  const engine = connectToEngine(glassboxHome());
  try {
    return await engine.call<ApprovalResponse>(
      'POST',
      `/api/approvals/${encodeURIComponent(id)}/${action}`,
      body,
    );
  } catch (error) {
    if (error instanceof EngineApiError && error.status === 404)
      error.message = `no approval "${id}" (see \`${cliCommand()} approvals --all\`)`;
    throw error;
  }
}

function durationArg(value: string): string {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1_000 || ms > 24 * 3_600_000)
    throw new InvalidArgumentError('give a duration from 1s to 24h, like 15m or 1h30m');
  return value;
}

/** One line saying what was decided, for whom, and for how long. */
export function describeDecision(approval: Approval): string {
  const what = oneLine(approval.subject.text, 80);
  const self = approval.decided_by?.self_approved
    ? ' (self-approved: the requesting session runs as you)'
    : '';
  if (approval.status === 'denied')
    return `Denied ${approval.id}: ${what}\n  Reason: ${approval.reason ?? ''}`;
  const scope = approval.scope;
  const covers =
    scope?.type === 'session'
      ? `rule ${approval.subject.rule.id} in session ${approval.subject.session_id} until ${timestamp(scope.until_us)}`
      : 'this operation, once';
  return `Approved ${approval.id}${self}: ${what}\n  Covers: ${covers}`;
}

const HEAD = ['ID', 'STATUS', 'RULE', 'WHAT', 'SESSION', 'AGE / TIME LEFT'];

/**
 * The `glassbox approvals` table at `nowUs` (µs since epoch): one line per approval; WHAT is the operation
 * on one line, cut to 60 characters; a pending one shows the time left to decide, a decided one its age.
 * @returns the lines with a trailing line feed
 */
export function approvalsTable(approvals: readonly Approval[], nowUs: number = nowMicros()): string {
  const rows = approvals.map((a) => [
    a.id,
    a.status === 'approved' && a.decided_by?.self_approved ? 'approved (self)' : a.status,
    oneLine(a.subject.rule.id, 32),
    oneLine(a.subject.text, 60),
    a.subject.session_id,
    a.status === 'pending'
      ? `${formatDuration((a.expires_at - nowUs) / 1000)} left`
      : `${formatDuration((nowUs - a.requested_at) / 1000)} ago`,
  ]);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(HEAD), ...rows.map(line)].join('\n')}\n`;
}

/**
 * Recorded text on one line for a terminal: whitespace runs become one space, control characters are
 * shown as `\xNN` (a recording must not move the cursor of whoever reads it), cut to `max` with `…`.
 */
function oneLine(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: making control characters visible is the point
  const control = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g;
  const flat = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(control, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
