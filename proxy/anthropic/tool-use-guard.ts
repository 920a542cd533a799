/**
 * The guardrails seen from the Anthropic proxy (issue 17, point 4, last bullet): a reply's `tool_use` block
 * that a rule would `block` or hold for approval is recorded as `guard.flagged` in the session, so programs
 * that run tools without Claude Code's hook (Agent SDK programs, scripts) are still visible. Nothing is
 * enforced here: the tool runs on the client, after the reply has gone; the event says what a rule would do.
 */
import { homedir } from 'node:os';
import { guardIdentity } from '../policy/actor.js';
import type { Guard, GuardContext, OperationFacts } from '../policy/guard/types.js';
import type { Identity } from '../store/types.js';
import { asRecord } from './message.js';

/** The kind of the event. */
export const GUARD_FLAGGED_EVENT = 'guard.flagged';
/** Longest summary of a tool call recorded, characters. */
const MAX_SUMMARY = 500;

/** What the proxy asks the guard with, taken once per request. */
export interface ToolUseGuard {
  guard: Guard;
  /** The user's home directory and identity, for the guard's context. */
  context: Omit<GuardContext, 'cwd'>;
}

/** Payload of `guard.flagged` for a tool_use block of a reply (the PostgreSQL gate's carries `statement_seq`). */
export interface ToolUseFlaggedPayload {
  /** The `http.request` whose reply holds the block. */
  request_seq: number;
  source: 'tool_use';
  tool: string;
  tool_use_id: string | null;
  /** What the rule would do to it through the hook or the PostgreSQL proxy. */
  action: 'block' | 'approve';
  rule: { id: string; message: string; builtin: boolean };
  kind: OperationFacts['kind'];
  /** The call as people read it (the command line; the tool and its paths), masked as recorded, cut at 500. */
  summary: string;
  /** The working directory paths were judged against, when the request's system prompt named one. */
  cwd: string | null;
}

/**
 * An exchange's {@link ToolUseGuard} from the proxy's options (`guard`, read now; `home`, default the OS's)
 * and the identity of the exchange's session (OS user, and the verified email and groups when signed in):
 * `{ toolGuard }`, or nothing while no guard is in force.
 */
export function toolGuardOf(
  options: { guard?: () => Guard | undefined; home?: string },
  identity: Identity,
): { toolGuard?: ToolUseGuard } {
  const guard = options.guard?.();
  if (!guard) return {};
  const context = { home: options.home ?? homedir(), identity: guardIdentity(identity) };
  return { toolGuard: { guard, context } };
}

/**
 * The `guard.flagged` payloads of a reply's client `tool_use` blocks that a rule would block or hold, in
 * block order. `message` is the reply as recorded (masked for storage); `cwd` the request's working directory
 * if known. A block the guard cannot classify, or a guard that throws, gives nothing (this is a record, not
 * the enforcement point).
 */
export function flaggedToolUses(
  toolGuard: ToolUseGuard,
  message: unknown,
  requestSeq: number,
  cwd: string | undefined,
): ToolUseFlaggedPayload[] {
  const content = asRecord(message)?.content;
  if (!Array.isArray(content)) return [];
  const flagged: ToolUseFlaggedPayload[] = [];
  for (const item of content) {
    const block = asRecord(item);
    if (block?.type !== 'tool_use' || typeof block.name !== 'string') continue;
    let checked: ReturnType<Guard['toolCall']>;
    try {
      checked = toolGuard.guard.toolCall(block.name, block.input ?? {}, {
        ...toolGuard.context,
        ...(cwd ? { cwd } : {}),
      });
    } catch {
      continue;
    }
    const { facts, decision } = checked;
    if (decision.action !== 'block' && decision.action !== 'approve') continue;
    const rule = decision.rule ?? { id: '(unnamed)', message: 'a policy rule', builtin: false };
    flagged.push({
      request_seq: requestSeq,
      source: 'tool_use',
      tool: block.name,
      tool_use_id: typeof block.id === 'string' ? block.id : null,
      action: decision.action,
      rule: { id: rule.id, message: rule.message, builtin: rule.builtin },
      kind: facts.kind,
      summary: summary(block.name, block.input, facts),
      cwd: cwd ?? null,
    });
  }
  return flagged;
}

/** The search text of a `guard.flagged` event. */
export function flaggedText(payload: ToolUseFlaggedPayload): string {
  return `${payload.rule.id}: ${payload.tool} ${payload.summary}`;
}

/**
 * The working directory a request's system prompt names: Claude Code's environment section says
 * `Primary working directory: /path` (older versions `Working directory: /path`). Undefined when it names
 * none, or not an absolute path.
 */
export function systemWorkingDirectory(body: unknown): string | undefined {
  const system = asRecord(body)?.system;
  const texts =
    typeof system === 'string'
      ? [system]
      : Array.isArray(system)
        ? system.map((block) => asRecord(block)?.text).filter((t): t is string => typeof t === 'string')
        : [];
  for (const text of texts) {
    const found = /^[\s-]*(?:Primary working directory|Working directory):[ \t]*(\/[^\n]*?)\s*$/m.exec(text);
    if (found) return found[1];
  }
  return undefined;
}

/** `{ cwd }` when there is one, else nothing (optional fields stay absent). */
export function withCwd(cwd: string | undefined): { cwd?: string } {
  return cwd === undefined ? {} : { cwd };
}

function summary(tool: string, input: unknown, facts: OperationFacts): string {
  const text =
    facts.kind === 'bash'
      ? facts.command
      : facts.kind === 'file'
        ? `${tool} ${facts.file.paths.join(' ')}`.trim()
        : `${tool} ${JSON.stringify(input ?? null)}`;
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY)}…` : text;
}
