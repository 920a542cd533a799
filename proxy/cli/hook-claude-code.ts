/**
 * `glassbox hook claude-code`: Claude Code's `PreToolUse` hook. It asks the running engine about each tool
 * call (`POST /api/guard/tool-call`), waits for a person when a rule wants an approval
 * (`GET /api/approvals/:id/wait`), and tells Claude Code whether the call may run.
 *
 * The contract, as Claude Code documents it (hooks reference, https://code.claude.com/docs/en/hooks:
 * "PreToolUse", "Hook input", "JSON output", "Exit code 2 behavior") and as the installed CLI
 * (@anthropic-ai/claude-code 2.1.330: its bundled hooks documentation and its PreToolUse output handling)
 * implements it:
 * - Input: one JSON object on stdin: `session_id` (the same id Claude Code sends to the API as
 *   `x-claude-code-session-id`), `transcript_path`, `cwd`, `permission_mode`, `hook_event_name`
 *   (`"PreToolUse"`), `tool_name`, `tool_input` (the tool's arguments; file paths absolute), `tool_use_id`.
 * - Output: exit 0 with JSON on stdout
 *   `{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow" | "deny" | "ask",
 *   "permissionDecisionReason": "…"}}`. `deny`: the tool does not run and the reason is shown to the model;
 *   `allow`: it runs without Claude Code's own permission prompt (its deny rules still apply); `ask`: the
 *   user is prompted. Exit 0 with no decision leaves Claude Code's normal permission flow in charge.
 * - Exit 2 blocks with stderr as the reason (stdout ignored); any other non-zero exit is a non-blocking
 *   error and the tool call PROCEEDS. So this hook always exits 0 and says `deny` in JSON when in doubt.
 * - `timeout` (seconds, per hook command in settings.json; `glassbox setup claude-code` sets 600): a hook
 *   still running then is cancelled, which also lets the call proceed; so the hook gives its answer
 *   {@link TIMEOUT_MARGIN_MS} before its timeout, whatever the engine does.
 *
 * Decisions: `allow` and `flag` (no objection) print no decision, so Claude Code's own permission rules and
 * prompts still apply (Glassbox only objects, it does not grant). `block` → `deny` with the rule's message.
 * `approve` → wait; approved → `allow` (a person just approved exactly this call, asking again would be
 * noise), denied / expired / withdrawn / no decision in time → `deny` saying so. The engine not running, or
 * not answering → what `approvals.engineDown` in policy.json says (`deny` by default), said on stderr.
 */
import type { GuardToolCallResponse } from '../api/types.js';
import { HOOK_TIMEOUT_S } from '../claude-code/settings.js';
import { glassboxHome, homePaths } from '../config.js';
import type { Approval } from '../policy/guard/types.js';
import { findRunningEngine } from './engine-finder.js';

/** How long before its timeout the hook answers anyway, ms (process start, stdout, slow machines). */
export const TIMEOUT_MARGIN_MS = 20_000;
/** Longest wait for the engine's answer to the check itself, ms. */
const CHECK_TIMEOUT_MS = 15_000;
/** Longest single long-poll, seconds; the hook polls again until its deadline. */
const POLL_S = 60;
/** Longest wait for the engine to take a withdrawal, ms. */
const WITHDRAW_TIMEOUT_MS = 3_000;
/** Longest wait for stdin, ms: Claude Code writes the input and closes it at once. */
const STDIN_TIMEOUT_MS = 10_000;

/** What the hook prints and how it exits. */
export interface HookOutcome {
  /** The decision JSON for stdout, or '' for "no objection". */
  stdout: string;
  /** Lines for the user (Claude Code shows them in its debug output and transcript mode). */
  stderr: string;
  exitCode: 0;
}

/** Options of {@link claudeCodeHook}. */
export interface HookOptions {
  /** $GLASSBOX_HOME. */
  home: string;
  /** The hook's timeout as configured in Claude Code, seconds (default {@link HOOK_TIMEOUT_S}). */
  timeoutS?: number;
  /**
   * The time now, ms since the epoch (default `Date.now`): what the hook's deadline is computed and checked
   * against. Tests pass their own to put a decision exactly at the deadline.
   */
  clock?: () => number;
}

/** Claude Code's PreToolUse input, as far as the hook reads it. */
interface HookInput {
  session_id?: unknown;
  cwd?: unknown;
  hook_event_name?: unknown;
  tool_name?: unknown;
  tool_input?: unknown;
  tool_use_id?: unknown;
}

/**
 * Runs the hook on `input` (the text Claude Code wrote to stdin). Never throws and never exits non-zero:
 * every failure becomes a decision (see the module comment).
 */
export async function claudeCodeHook(input: string, options: HookOptions): Promise<HookOutcome> {
  // Claude Code cancelling the hook (the user interrupting, or its timeout) must not leave an approval
  // pending for a call that will not run: the wait below withdraws it.
  const cancel = new AbortController();
  const onSignal = () => cancel.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    return await check(input, options, cancel.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

async function check(input: string, options: HookOptions, cancelled: AbortSignal): Promise<HookOutcome> {
  const now = options.clock ?? Date.now;
  const deadline = now() + Math.max(1_000, (options.timeoutS ?? HOOK_TIMEOUT_S) * 1000 - TIMEOUT_MARGIN_MS);
  let call: HookInput;
  try {
    call = JSON.parse(input) as HookInput;
    if (typeof call !== 'object' || call === null) throw new Error('not a JSON object');
  } catch (error) {
    return deny(
      `Glassbox: could not read the hook's input (${(error as Error).message}); the tool call was not checked, so it is refused`,
    );
  }
  if (call.hook_event_name !== undefined && call.hook_event_name !== 'PreToolUse') return noObjection();
  if (typeof call.tool_name !== 'string' || typeof call.session_id !== 'string') {
    return deny('Glassbox: the hook input has no tool_name or session_id; the tool call was not checked');
  }
  const engine = findRunningEngine(options.home);
  if ('down' in engine) return engineDown(options.home, engine.down);
  const api = engine.runtime.apiUrl;
  const headers = { authorization: `Bearer ${engine.token}`, 'content-type': 'application/json' };
  let answer: GuardToolCallResponse;
  try {
    const response = await fetch(`${api}/api/guard/tool-call`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        session_id: call.session_id,
        ...(typeof call.cwd === 'string' ? { cwd: call.cwd } : {}),
        tool_name: call.tool_name,
        tool_input: call.tool_input ?? null,
        ...(typeof call.tool_use_id === 'string' ? { tool_use_id: call.tool_use_id } : {}),
      }),
      signal: AbortSignal.any([
        cancelled,
        AbortSignal.timeout(Math.max(1, Math.min(CHECK_TIMEOUT_MS, deadline - now()))),
      ]),
    });
    const body = (await response.json()) as GuardToolCallResponse & { error?: { message?: string } };
    if (!response.ok) {
      return deny(
        `Glassbox: the engine could not check this tool call (${response.status}: ${body.error?.message ?? 'no reason given'}), so it is refused`,
      );
    }
    answer = body;
  } catch (error) {
    if (cancelled.aborted) return deny('Glassbox: the tool call was cancelled while it was being checked');
    return engineDown(options.home, `the Glassbox engine at ${api} did not answer (${describe(error)})`);
  }
  switch (answer.action) {
    case 'block':
      return deny(
        `Glassbox: blocked by rule ${answer.rule?.id ?? '?'}: ${answer.rule?.message ?? ''}`.trim(),
      );
    case 'approve':
      if (!answer.approval_id)
        return deny('Glassbox: this tool call needs an approval that could not be requested');
      return waitForDecision(api, headers, answer, { deadline, now }, cancelled);
    default:
      if (answer.covered && answer.approval_id) {
        return allow(`Glassbox: covered by approval ${answer.approval_id} (rule ${answer.rule?.id ?? '?'})`);
      }
      return noObjection();
  }
}

/**
 * Long-polls the approval until it is decided or the hook's deadline comes. When the hook stops waiting
 * without a decision — its deadline, or Claude Code cancelling it (SIGTERM, SIGINT) — it withdraws the
 * approval, so nobody approves a call that will not run. At the deadline, a decision that reached the engine
 * after the last look but before the withdrawal is the answer (approved → `allow`), as the record says.
 */
async function waitForDecision(
  api: string,
  headers: Record<string, string>,
  answer: GuardToolCallResponse,
  time: { deadline: number; now: () => number },
  cancelled: AbortSignal,
): Promise<HookOutcome> {
  const { deadline, now } = time;
  const id = answer.approval_id!;
  const rule = answer.rule?.id ?? '?';
  const waiting = `Glassbox: waiting for approval ${id} (rule ${rule}); open the dashboard or run \`glassbox approve ${id}\``;
  let lastProblem = '';
  while (now() < deadline - 1_000 && !cancelled.aborted) {
    const seconds = Math.max(1, Math.min(POLL_S, Math.floor((deadline - now()) / 1000) - 1));
    try {
      const response = await fetch(`${api}/api/approvals/${encodeURIComponent(id)}/wait?timeout=${seconds}`, {
        headers,
        signal: AbortSignal.any([
          cancelled,
          AbortSignal.timeout(Math.max(1, Math.min(seconds * 1000 + 5_000, deadline - now()))),
        ]),
      });
      const body = (await response.json()) as {
        approval?: Approval;
        timed_out?: boolean;
        error?: { message?: string };
      };
      if (!response.ok || !body.approval) {
        const late = await withdraw(api, headers, id, 'the Claude Code hook could not wait for it');
        if (late) return { ...late, stderr: `${waiting}\n${late.stderr}` };
        return deny(
          `Glassbox: could not wait for approval ${id} (${response.status}: ${body.error?.message ?? 'no approval in the answer'}); the tool call is refused`,
          waiting,
        );
      }
      const outcome = decided(body.approval);
      if (outcome) return { ...outcome, stderr: `${waiting}\n${outcome.stderr}` };
    } catch (error) {
      if (cancelled.aborted) break;
      // The engine restarting or a dropped connection: try again until the deadline.
      lastProblem = ` (last error: ${describe(error)})`;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, Math.max(0, deadline - now()))));
    }
  }
  if (cancelled.aborted) {
    await withdraw(api, headers, id, 'Claude Code cancelled the tool call');
    return deny(`Glassbox: the tool call was cancelled while approval ${id} was pending`, waiting);
  }
  // A person may have decided after the last look and before the withdrawal reached the engine: that
  // decision stands (the record says so), so it is the answer.
  const late = await withdraw(
    api,
    headers,
    id,
    'nobody decided within the time the Claude Code hook may wait',
  );
  if (late) return { ...late, stderr: `${waiting}\n${late.stderr}` };
  return deny(
    `Glassbox: nobody decided approval ${id} (rule ${rule}) within the time this hook may wait${lastProblem}; the tool call did not run. Ask again once someone can approve it.`,
    waiting,
  );
}

/**
 * Withdraws a pending approval the hook no longer waits for (best effort, bounded). The engine answers with the
 * approval as it is after the withdrawal (`POST /api/guard/withdraw`, api/routes/guard.ts): when a person
 * decided it first, the withdrawal changed nothing and that decision is returned as the hook's answer.
 * @returns the answer for a decision made before the withdrawal, or undefined when it was withdrawn (or the
 *   engine could not be asked: the approval then expires by itself, approvals.timeout)
 */
async function withdraw(
  api: string,
  headers: Record<string, string>,
  id: string,
  reason: string,
): Promise<HookOutcome | undefined> {
  try {
    const response = await fetch(`${api}/api/guard/withdraw`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ approval_id: id, reason }),
      signal: AbortSignal.timeout(WITHDRAW_TIMEOUT_MS),
    });
    const body = (await response.json()) as { approval?: Approval };
    if (!response.ok || body.approval?.status === 'withdrawn') return undefined;
    return body.approval ? decided(body.approval) : undefined;
  } catch {
    return undefined;
  }
}

/** The hook's answer once the approval is no longer pending; undefined while it is. */
function decided(approval: Approval): HookOutcome | undefined {
  const who = approval.decided_by ? decider(approval.decided_by) : 'someone';
  const reason = approval.reason ? `: ${approval.reason}` : '';
  switch (approval.status) {
    case 'approved':
      return allow(`Glassbox: approved by ${who}${reason}`);
    case 'denied':
      return deny(`Glassbox: denied by ${who}${reason}`);
    case 'expired':
      return deny(
        `Glassbox: approval ${approval.id} expired before anyone decided; the tool call did not run`,
      );
    case 'withdrawn':
      return deny(`Glassbox: approval ${approval.id} was withdrawn${reason}; the tool call did not run`);
    default:
      return undefined;
  }
}

function decider(by: NonNullable<Approval['decided_by']>): string {
  const name = by.email ?? by.os_user ?? by.subject ?? 'someone';
  return `${name}${by.self_approved ? ' (self-approved)' : ''}${by.via ? ` via ${by.via}` : ''}`;
}

/**
 * No engine to ask: `approvals.engineDown` from policy.json decides (`deny` unless it says `allow`). Read
 * through the policy loader; a policy that cannot be read (or a Glassbox whose policy has no such setting)
 * means the default, `deny`.
 */
async function engineDown(home: string, why: string): Promise<HookOutcome> {
  let setting: unknown;
  try {
    // Loaded only here: the policy loader is most of the hook's start-up time, paid on every tool call.
    const { readPolicyFile } = await import('../policy/document.js');
    const doc = readPolicyFile(homePaths(home).policy) as { approvals?: { engineDown?: unknown } } | null;
    setting = doc?.approvals?.engineDown;
  } catch {
    setting = undefined;
  }
  const note = `glassbox: ${why}; approvals.engineDown is ${setting === 'allow' ? 'allow' : 'deny'}`;
  if (setting === 'allow') return { ...noObjection(), stderr: `${note}: the tool call was not checked\n` };
  return deny(
    `Glassbox is not running, so this tool call could not be checked and is refused (${why}). Start Glassbox (\`glassbox serve\` or the desktop app) and try again.`,
    note,
  );
}

/** The hook's answer when it failed unexpectedly: the call is refused, saying why. */
export function hookFailure(error: unknown): HookOutcome {
  return deny(`Glassbox: the hook failed (${describe(error)}), so this tool call is refused`);
}

function noObjection(): HookOutcome {
  return { stdout: '', stderr: '', exitCode: 0 };
}

function allow(reason: string): HookOutcome {
  return decision('allow', reason);
}

function deny(reason: string, note?: string): HookOutcome {
  const outcome = decision('deny', reason);
  return note ? { ...outcome, stderr: `${note}\n${outcome.stderr}` } : outcome;
}

function decision(permissionDecision: 'allow' | 'deny', reason: string): HookOutcome {
  const output = {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision,
      permissionDecisionReason: reason,
    },
  };
  return { stdout: `${JSON.stringify(output)}\n`, stderr: `${reason}\n`, exitCode: 0 };
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return 'timed out';
  return cause?.code ?? (error as Error).message;
}

/**
 * The whole `glassbox hook claude-code [--timeout SECONDS]` command: reads stdin, prints the outcome, sets
 * the exit code (always 0). bin/glassbox.js calls this directly, without loading the rest of the CLI, since
 * Claude Code starts the hook for every tool call it matches.
 */
export async function hookCommandMain(args: string[], home = glassboxHome()): Promise<void> {
  let outcome: HookOutcome;
  try {
    const at = args.indexOf('--timeout');
    const timeoutS = at === -1 ? undefined : Number(args[at + 1]);
    if (timeoutS !== undefined && !(Number.isInteger(timeoutS) && timeoutS > 0))
      throw new Error('--timeout must be whole seconds');
    outcome = await claudeCodeHook(await readStdin(), {
      home,
      ...(timeoutS !== undefined ? { timeoutS } : {}),
    });
  } catch (error) {
    // Any other exit would let the tool call proceed (see the module comment): refuse it instead.
    outcome = hookFailure(error);
  }
  process.exitCode = outcome.exitCode;
  // Flushed before returning: the caller may exit at once (pipes are asynchronous on macOS).
  if (outcome.stderr)
    await new Promise<void>((resolve) => process.stderr.write(outcome.stderr, () => resolve()));
  await new Promise<void>((resolve) => process.stdout.write(outcome.stdout, () => resolve()));
}

/**
 * Reads all of stdin as UTF-8, giving up after {@link STDIN_TIMEOUT_MS} (a terminal, or a writer that never
 * closes it) with what arrived so far.
 */
export function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if ((stream as { isTTY?: boolean }).isTTY) return Promise.resolve('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(done, STDIN_TIMEOUT_MS);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', done);
    stream.once('error', done);
  });
}
