/**
 * The guard rule matcher (issue 17, point 2): rule *definitions* (plain data, rule-schema.ts) compiled into
 * predicates over an operation's facts (types.ts), kept apart like mockttp's rule definitions and matchers.
 * The first rule that matches decides; when none does, the operation is allowed.
 */

import type { PolicySource } from '../effective.js';
import { BUILTIN_GUARD_RULES } from './default-rules.js';
import { contextPredicate, matchPredicate, type Predicate, type SqlUnit, sqlUnits } from './predicates.js';
import type { GuardMatch, GuardRoute, GuardRuleDefinition } from './rule-schema.js';
import { strongerDecision } from './strength.js';
import type {
  DecidingRule,
  GuardAction,
  GuardContext,
  GuardDecision,
  OperationFacts,
  SqlFacts,
} from './types.js';

/** A rule as it applies: the file's (filled in from the built-in rule it replaces) or a built-in one. */
export interface EffectiveGuardRule {
  id: string;
  action: GuardAction;
  message: string;
  match: GuardMatch;
  /** True for a rule of the built-in defaults (default-rules.ts), false for the file's own. */
  builtin: boolean;
  /** Where its approvals go (`approve` rules only). */
  route?: GuardRoute;
  /** With a team policy: which layer it belongs to (team-layers.ts). */
  source?: PolicySource;
}

/** Decides operations by the rules, in order. Pure and immutable. */
export interface RuleMatcher {
  /** False when `guardrails.enabled` is false: every decision is `allow`. */
  readonly enabled: boolean;
  /** The rules in the order they are tried (with {@link RuleMatcher.layers}: each layer's, team first). */
  readonly rules: readonly EffectiveGuardRule[];
  /**
   * With a team policy (team-layers.ts): the team's and the local matcher, each deciding on its own; the
   * stronger decision applies.
   */
  readonly layers?: readonly RuleMatcher[];
  /** The first matching rule's action and the rule, or `allow` with no rule. Never throws. */
  decide(facts: OperationFacts, context: GuardContext): GuardDecision;
}

/**
 * The rules in force: the file's own, in order, then the defaults that none of them replaces. A file rule
 * with a default's id takes that default's place (and its `match` and `message` where it leaves them out).
 */
export function resolveGuardRules(
  definitions: readonly GuardRuleDefinition[],
  defaults: readonly GuardRuleDefinition[] = BUILTIN_GUARD_RULES,
): EffectiveGuardRule[] {
  const byId = new Map(defaults.map((rule) => [rule.id, rule]));
  const own = definitions.map((rule): EffectiveGuardRule => {
    const replaced = byId.get(rule.id) ?? BUILTIN_GUARD_RULES.find((b) => b.id === rule.id);
    return {
      id: rule.id,
      action: rule.action,
      message: rule.message ?? replaced?.message ?? `allowed by rule ${rule.id}`,
      match: rule.match ?? replaced?.match ?? {},
      builtin: false,
      ...(rule.route && rule.action === 'approve' ? { route: rule.route } : {}),
    };
  });
  const ownIds = new Set(definitions.map((rule) => rule.id));
  const rest = defaults
    .filter((rule) => !ownIds.has(rule.id))
    .map(
      (rule): EffectiveGuardRule => ({
        id: rule.id,
        action: rule.action,
        message: rule.message ?? rule.id,
        match: rule.match ?? {},
        builtin: true,
      }),
    );
  return [...own, ...rest];
}

/**
 * Compiles rule definitions into a matcher: the file's `definitions` first, then `defaults` (pass `[]` when
 * `guardrails.defaults` is false). Does not validate: pass what rule-schema.ts accepted.
 * @param options.enabled false: the matcher allows everything (default true)
 */
export function compileGuardRules(
  definitions: readonly GuardRuleDefinition[],
  defaults: readonly GuardRuleDefinition[] = BUILTIN_GUARD_RULES,
  options: { enabled?: boolean } = {},
): RuleMatcher {
  const enabled = options.enabled ?? true;
  const rules = resolveGuardRules(definitions, defaults);
  // The SQL classifier hands out the same facts object for a repeated text: derive its units once.
  const memo = new WeakMap<SqlFacts, readonly SqlUnit[]>();
  const units = (facts: SqlFacts) => {
    const found = memo.get(facts);
    if (found) return found;
    const derived = sqlUnits(facts);
    memo.set(facts, derived);
    return derived;
  };
  const compiled: Array<{ rule: DecidingRule; action: GuardAction; test: Predicate }> = rules.map((rule) => ({
    rule: decidingRule(rule),
    action: rule.action,
    test: matchPredicate(rule.match, units),
  }));
  return {
    enabled,
    rules,
    decide(facts, context) {
      if (!enabled) return { action: 'allow' };
      for (const { rule, action, test } of compiled) {
        if (test(facts, context)) return { action, rule };
      }
      return { action: 'allow' };
    },
  };
}

/**
 * Decides an operation of `kind` whose facts cannot be known (its classifier is unavailable), when the rules
 * allow that: trying them in order as {@link RuleMatcher.decide} would, a rule whose `connection`/`groups`
 * do not apply, or whose conditions are only for other kinds of operation, is passed over; one with no
 * condition on facts decides. A rule with conditions on this kind's facts (`sql` for SQL; `shell` for a
 * Bash call) needs them: then undefined. No rule left: `allow`.
 */
export function decideWithoutFacts(
  matcher: RuleMatcher,
  kind: 'sql' | 'bash',
  context: GuardContext,
): GuardDecision | undefined {
  if (!matcher.enabled) return { action: 'allow' };
  if (matcher.layers) {
    const decisions = matcher.layers.map((layer) => decideWithoutFacts(layer, kind, context));
    if (decisions.some((d) => d === undefined)) return undefined;
    return (decisions as GuardDecision[]).reduce(strongerDecision);
  }
  for (const rule of matcher.rules) {
    const { match } = rule;
    if (!contextPredicate(match)(context)) continue;
    if (kind === 'sql' ? match.sql : match.shell) return undefined;
    if (match.sql || match.shell || match.file) continue;
    return { action: rule.action, rule: decidingRule(rule) };
  }
  return { action: 'allow' };
}

/** How decisions, events and approvals name `rule` (with its `route` when it has one). */
function decidingRule(rule: EffectiveGuardRule): DecidingRule {
  return {
    id: rule.id,
    message: rule.message,
    builtin: rule.builtin,
    ...(rule.route
      ? { route: { group: rule.route.group, allowSelfApproval: rule.route.allowSelfApproval } }
      : {}),
    ...(rule.source ? { source: rule.source } : {}),
  };
}
