/**
 * Context for the approver of a held PostgreSQL statement (issue 17, points 5 and 6), beside what the guard
 * gate (guard-gate.ts) puts in the approval's subject: the latest prompt of a Claude session driving this
 * one (given at once, in the request) and the planner's row estimate for an UPDATE or DELETE (added when it
 * arrives, through {@link ApprovalBroker.annotate}). Neither ever delays, fails or changes the statement.
 */
import type { Approval, ApprovalBroker, ApprovalSubject, OperationFacts } from '../policy/guard/types.js';
import type { RowEstimate } from './row-estimate.js';

/** The latest user prompt of the Claude session taken to drive a PostgreSQL session (already masked). */
export interface DrivingPrompt {
  prompt: string;
  prompt_session_id: string;
}

/** Where context comes from; each part optional. */
export interface ApprovalContextSources {
  /** The driving Claude session's latest prompt now, if any (see policy/approvals/driving-prompt.ts). */
  drivingPrompt?: () => DrivingPrompt | undefined;
  /** The planner's estimate for one statement's text, or why there is none; never rejects (row-estimate.ts). */
  estimate?: (sql: string) => Promise<RowEstimate | string>;
}

/** The context known when the approval is requested: the driving prompt, if any. A failing source gives none. */
export function contextAtRequest(sources: ApprovalContextSources): ApprovalSubject['context'] | undefined {
  try {
    const driving = sources.drivingPrompt?.();
    return driving ? { prompt: driving.prompt, prompt_session_id: driving.prompt_session_id } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * For a held statement that is one UPDATE or DELETE: asks for the planner's estimate and, when it comes while
 * the approval is still pending, adds it to the approval. Anything else, or a failure, adds nothing.
 */
export function estimateLater(
  sources: ApprovalContextSources,
  approvals: ApprovalBroker,
  approval: Approval,
  sql: string,
  facts: OperationFacts,
): void {
  const { estimate } = sources;
  if (!estimate || !approvals.annotate || !estimable(facts)) return;
  void estimate(sql).then(
    (result) => {
      if (typeof result === 'string') return;
      try {
        approvals.annotate?.(approval.id, { ...result });
      } catch {
        // The approval goes on without its estimate.
      }
    },
    () => undefined,
  );
}

/** True for exactly one statement that updates or deletes rows (an estimate of anything else means nothing). */
function estimable(facts: OperationFacts): boolean {
  if (facts.kind !== 'sql') return false;
  const [only, ...more] = facts.sql.statements;
  return more.length === 0 && (only?.effect === 'update' || only?.effect === 'delete');
}
