/**
 * How strong a guard decision is, for combining the team's and the local policy's decisions
 * (policy/team-layers.ts): allow 0 < flag 1 < approve 2 < block 3.
 */
import type { GuardAction, GuardDecision } from './types.js';

const GUARD_STRENGTH: Record<GuardAction, number> = { allow: 0, flag: 1, approve: 2, block: 3 };

/** How strong a guard decision is: allow 0 < flag 1 < approve 2 < block 3. */
export function guardStrength(action: GuardAction): number {
  return GUARD_STRENGTH[action];
}

/**
 * The stronger of two decisions, the first (the team's) on a tie — unless only the second names a rule.
 */
export function strongerDecision(team: GuardDecision, local: GuardDecision): GuardDecision {
  const t = guardStrength(team.action);
  const l = guardStrength(local.action);
  if (l > t || (l === t && !team.rule && local.rule)) return local;
  return team;
}
