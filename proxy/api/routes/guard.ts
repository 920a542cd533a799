/**
 * `POST /api/guard/tool-call`: the Claude Code hook (`glassbox hook claude-code`) asks whether a tool call may
 * run. The guard classifies the call and decides (proxy/policy/guard/types.ts); the decision is recorded as a
 * `guard.check` event in the Claude session the call belongs to (found by its `x-claude-code-session-id`,
 * which is the hook's `session_id`; created under that external id when no request of it was recorded yet),
 * and for `approve` an approval is requested from the broker, whose id the hook then waits on
 * (`GET /api/approvals/:id/wait`) and which it withdraws (`POST /api/guard/withdraw`) if it stops waiting
 * without a decision. What is recorded and shown to approvers is masked by the policy in force.
 * The server runs its guards (Host, Origin, bearer token) before handing a request here.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { canonicalJson } from '../../common/canonical-json.js';
import { guardIdentity } from '../../policy/actor.js';
import type { CompiledPolicy } from '../../policy/compile.js';
import { ClassifierUnavailableError } from '../../policy/guard/guard.js';
import type {
  Approval,
  ApprovalBroker,
  ApprovalSubject,
  Guard,
  GuardDecision,
  OperationFacts,
} from '../../policy/guard/types.js';
import type { Store } from '../../store/store.js';
import type { Identity } from '../../store/types.js';
import { ApiError } from '../guards.js';
import { readJsonBody } from '../json-body.js';
import type { GuardToolCallResponse } from '../types.js';

/** The path of the check. */
export const GUARD_TOOL_CALL_PATH = '/api/guard/tool-call';
/** The path the hook withdraws its approval through when it stops waiting (its deadline, or cancelled). */
export const GUARD_WITHDRAW_PATH = '/api/guard/withdraw';

/** The kind of the event that records a check. */
export const GUARD_CHECK_EVENT = 'guard.check';

/** What the guard route needs from the engine. */
export interface GuardRouteOptions {
  store: Store;
  /** The guard in force, read at each call; undefined when guardrails are off (every call is allowed). */
  guard: () => Guard | undefined;
  /** The approval broker; without it an `approve` decision refuses the call (nobody could approve it). */
  approvals?: ApprovalBroker;
  /** The policy in force, whose text masker masks what is recorded. */
  policy: () => CompiledPolicy;
  /**
   * The engine's identity now (the live sign-in): the identity of a Claude session created here. The guard's
   * context takes the identity of the call's session (the one it was created with), or this one for a new one.
   */
  identity: () => Identity;
  /** The target of a Claude session created here (the Anthropic upstream, as the proxy records it). */
  target: string;
  /** The user's home directory, for `~` in paths. */
  home: string;
}

/** Largest request body, bytes: a Write tool call carries the file's whole content. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Longest operation text recorded for a tool other than Bash and the file tools, characters. */
const MAX_TOOL_TEXT = 2_000;

/** The hook's request: Claude Code's PreToolUse input, reduced to what the guard needs. */
const ToolCallBody = z.object({
  session_id: z.string().min(1).max(200),
  cwd: z.string().max(4_096).optional(),
  tool_name: z.string().min(1).max(200),
  tool_input: z.unknown(),
  tool_use_id: z.string().max(200).optional(),
});
type ToolCall = z.infer<typeof ToolCallBody>;

/**
 * Handles a guarded `POST /api/guard/tool-call`.
 * @returns the decision (status 200)
 * @throws ApiError 405 for other methods, 415/413/400 for a bad body, 503 when a rule needs a parser that
 *   could not be loaded (the hook then refuses the call); the store's StoreUnavailableError when
 *   the check cannot be recorded (answered 500: the hook then refuses the call)
 */
export async function guardToolCallRoute(
  req: IncomingMessage,
  options: GuardRouteOptions,
): Promise<GuardToolCallResponse> {
  if (req.method !== 'POST') throw new ApiError(405, 'method_not_allowed', `${req.method} is not supported`);
  const parsed = ToolCallBody.safeParse(await readJsonBody(req, MAX_BODY_BYTES));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApiError(
      400,
      'bad_body',
      `${issue.path.join('.') || 'body'}: ${issue.message}; expected {"session_id", "cwd", "tool_name", "tool_input"}`,
    );
  }
  const call = parsed.data;
  const guard = options.guard();
  if (!guard) return { action: 'allow', checked: false };
  const known = options.store.externalSessionId('anthropic', call.session_id);
  const identity = (known && options.store.getSession(known)?.identity) || options.identity();
  let checked: ReturnType<Guard['toolCall']>;
  try {
    checked = guard.toolCall(call.tool_name, call.tool_input, {
      ...(call.cwd ? { cwd: call.cwd } : {}),
      home: options.home,
      identity: guardIdentity(identity),
    });
  } catch (error) {
    // A rule needs a parser that could not be loaded (component.ts): the hook refuses the call, saying why.
    if (error instanceof ClassifierUnavailableError)
      throw new ApiError(503, 'guard_unavailable', `${error.message}; the tool call cannot be checked`);
    throw error;
  }
  const { facts, decision } = checked;
  const policy = options.policy();
  const text = policy.text.mask(operationText(call, facts)).text;
  const sessionId = claudeSession(options, call.session_id, identity);
  const { seq } = options.store.append(sessionId, GUARD_CHECK_EVENT, {
    tool: call.tool_name,
    ...(call.tool_use_id ? { tool_use_id: call.tool_use_id } : {}),
    kind: facts.kind,
    text,
    ...(facts.kind === 'file' ? { paths: facts.file.paths.map((p) => policy.text.mask(p).text) } : {}),
    ...(call.cwd ? { cwd: call.cwd } : {}),
    decision: decision.action,
    rule: decision.rule ?? null,
  });
  const base = { session_id: sessionId, seq, checked: true };
  if (decision.action !== 'approve' || !decision.rule) return { ...base, ...answer(decision) };
  const approvals = options.approvals;
  if (!approvals) {
    const rule = decision.rule;
    return {
      ...base,
      action: 'block',
      rule: { ...rule, message: `${rule.message} (approvals are not available in this engine)` },
    };
  }
  const subject: ApprovalSubject = {
    session_id: sessionId,
    request_seq: seq,
    kind: facts.kind,
    text,
    operation_hash: operationHash(call.tool_name, call.tool_input),
    facts: policy.maskJson(facts).value,
    rule: decision.rule,
    client: 'claude-code',
    target: options.target,
    identity: guardIdentity(identity),
  };
  const standing = approvals.covered(subject);
  if (standing)
    return { ...base, action: 'allow', rule: decision.rule, approval_id: standing.id, covered: true };
  const { approval } = approvals.request(subject);
  return {
    ...base,
    action: 'approve',
    rule: decision.rule,
    approval_id: approval.id,
    expires_at: approval.expires_at,
  };
}

const WithdrawBody = z.object({
  approval_id: z.string().min(1).max(64),
  reason: z.string().max(500).optional(),
});

/**
 * Handles a guarded `POST /api/guard/withdraw` `{ approval_id, reason? }`: the hook stopped waiting, so the
 * approval can no longer let anything run; a pending one becomes `withdrawn` (no-op otherwise).
 * @returns the approval as it is now: `withdrawn`, or the decision a person made before the withdrawal came
 *   (which the hook then follows)
 * @throws ApiError 405, 415/413/400 for a bad body, 404 for an unknown approval or no broker
 */
export async function guardWithdrawRoute(
  req: IncomingMessage,
  options: GuardRouteOptions,
): Promise<{ approval: Approval }> {
  if (req.method !== 'POST') throw new ApiError(405, 'method_not_allowed', `${req.method} is not supported`);
  const parsed = WithdrawBody.safeParse(await readJsonBody(req, 4096));
  if (!parsed.success)
    throw new ApiError(400, 'bad_body', 'expected {"approval_id": string, "reason"?: string}');
  const { approval_id: id, reason } = parsed.data;
  const approvals = options.approvals;
  if (!approvals?.get(id)) throw new ApiError(404, 'not_found', `no approval ${id}`);
  approvals.withdraw(id, reason ?? 'the Claude Code hook stopped waiting');
  return { approval: approvals.get(id)! };
}

/**
 * What an approval's `once` covers for a tool call: SHA-256 hex of the tool's name, a NUL, and the canonical
 * JSON (RFC 8785 order) of its input, so the same call with its keys in another order is the same operation.
 */
export function operationHash(tool: string, input: unknown): string {
  return createHash('sha256')
    .update(`${tool}\u0000${canonicalJson(input ?? null)}`)
    .digest('hex');
}

/** The operation as people read it, before masking: the command line, the tool and its paths, or the tool and its input. */
function operationText(call: ToolCall, facts: OperationFacts): string {
  switch (facts.kind) {
    case 'bash':
      return facts.command;
    case 'file':
      return `${call.tool_name} ${facts.file.paths.join(' ')}`.trim();
    case 'sql':
      return facts.text;
    default: {
      const input = JSON.stringify(call.tool_input ?? null);
      const text = `${call.tool_name} ${input}`;
      return text.length > MAX_TOOL_TEXT ? `${text.slice(0, MAX_TOOL_TEXT)}…` : text;
    }
  }
}

function answer(decision: GuardDecision): Pick<GuardToolCallResponse, 'action' | 'rule'> {
  return { action: decision.action, ...(decision.rule ? { rule: decision.rule } : {}) };
}

/**
 * The recorded Claude session whose external id is `externalId` (reopened when it had ended, as the
 * Anthropic proxy does when the session's requests come back), or a new live one under that id with
 * `identity`, which the proxy then finds for the session's next request.
 */
function claudeSession(options: GuardRouteOptions, externalId: string, identity: Identity): string {
  const { store } = options;
  const id = store.externalSessionId('anthropic', externalId);
  const state = id ? store.liveness(id) : undefined;
  if (id && state) {
    if (state.status !== 'live') store.reopenSession(id);
    return id;
  }
  return store.createSession({
    kind: 'anthropic',
    target: options.target,
    client: 'claude-code (hook)',
    identity: { ...identity, credential: null },
    external_id: externalId,
  }).id;
}
