/**
 * The team policy on top of the local one (issue 19, point 7): how the two layers combine, and what "weaken"
 * means. The team layer is what the team's document *writes* (the server's `GET /v1/policy`); what it leaves
 * out is the built-in default, which the local policy.json may change as before. The local layer is policy.json
 * (with the defaults). For each thing a policy decides, the stronger of the two layers applies, ties to the team:
 *
 * - Masking strength ({@link maskStrength}): unmasked/off 0 < `partial` (keeping fewer characters is stronger)
 *   < `hash` < `redact` = `null`. A detector the team document names (by id, its kind's wildcard or `*`, or a
 *   team custom pattern) gets the stronger of the team's setting and the local one: policy.json can turn it on
 *   or make its action stronger, never turn it off or make it weaker. A PostgreSQL result column gets the
 *   stronger of the team layer's answer (its column rules, and its sensitive-column dictionary when the team
 *   document has a `sensitiveColumns` section) and the local layer's (its rules, then its dictionary), so a
 *   local `"none"` cannot unmask a column a team rule masks; a team `"none"` leaves the column to the local
 *   layer. Outbound masking the team turns on stays on, with the union of both lists.
 * - Guardrail strength ({@link guardStrength}): allow 0 < flag 1 < approve 2 < block 3. Each operation is
 *   decided by both layers' rules (each first-match-wins, as before) and the stronger decision applies: a team
 *   block cannot become allow, flag or approve; a team approve cannot become allow or flag; a local rule may
 *   still block or hold what the team allows. A local rule with a team rule's id is set aside. The built-in
 *   rules belong to the local layer unless the team document says `"guardrails": {"defaults": true}`.
 * - Approvals settings the team document gives (`mode`, `timeout`, …) are the team's; the rest are local.
 *
 * Every detector, custom pattern, column rule and guard rule of the effective policy says where it came from
 * (`source`), and so does the rule deciding an operation.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { canonicalJson } from '../common/canonical-json.js';
import { columnMatcher } from './column-rules.js';
import { type CompiledPolicy, type CompileOptions, compilePolicy } from './compile.js';
import { defaultAction } from './defaults.js';
import { BUILTIN_DETECTORS } from './detectors/index.js';
import { type ColumnAction, defaultPolicy, type PolicyDocument } from './document.js';
import type { EffectivePolicy, PolicySource } from './effective.js';
import { BUILTIN_GUARD_RULES } from './guard/default-rules.js';
import { compileGuardRules, type RuleMatcher } from './guard/rules.js';

export { guardStrength, strongerDecision } from './guard/strength.js';

import { strongerDecision } from './guard/strength.js';
import type { MaskAction } from './masking/types.js';

/** A team policy as the engine holds it: the server's version, the document as written, and parsed. */
export interface TeamPolicy {
  /** The server's version number (`team_policy.version`). */
  version: number;
  /** The document as the server sent it (which fields it writes decides what the team pins). */
  raw: unknown;
  /** The same, parsed (document.ts `parsePolicy`). */
  document: PolicyDocument;
}

/** How strongly an action masks (see the module comment); higher is stronger. */
export function maskStrength(action: ColumnAction | undefined): number {
  if (!action || action.type === 'none') return 0;
  if (action.type === 'partial') return 1 + (64 - action.keep) / 100;
  if (action.type === 'hash') return 2;
  return 3;
}

/** Combines guard layers: both decide, the stronger applies (see the module comment). */
export function layeredGuard(team: RuleMatcher, local: RuleMatcher): RuleMatcher {
  return {
    enabled: team.enabled || local.enabled,
    rules: [...team.rules, ...local.rules],
    layers: [team, local],
    decide(facts, context) {
      return strongerDecision(team.decide(facts, context), local.decide(facts, context));
    },
  };
}

function owns(raw: unknown, ...path: string[]): boolean {
  let at = raw;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !(key in at)) return false;
    at = (at as Record<string, unknown>)[key];
  }
  return true;
}

/** What a document's own `detectors` entries (and a custom pattern's action) say about one detector. */
function written(doc: PolicyDocument, id: string, category: string, own: MaskAction | undefined) {
  const settings = [doc.detectors[id], doc.detectors[`${category}.*`], doc.detectors['*']];
  return {
    enabled: settings.find((s) => s?.enabled !== undefined)?.enabled,
    action: settings.find((s) => s?.action !== undefined)?.action ?? own,
  };
}

/**
 * Compiles the effective policy of a team layer on top of a local one (see the module comment). The result's
 * `document` is the local document (what policy.json holds, what the dashboard edits).
 */
export function compileLayered(
  team: TeamPolicy,
  local: PolicyDocument,
  options: CompileOptions,
): CompiledPolicy {
  const t = team.document;
  const builtins = options.detectors ?? BUILTIN_DETECTORS;
  const teamIds = new Set(t.custom.map((rule) => rule.id));
  const custom = [...t.custom, ...local.custom.filter((rule) => !teamIds.has(rule.id))];
  const sources = new Map<string, PolicySource>();
  const detectors: PolicyDocument['detectors'] = {};
  const kinds = [
    ...custom.map((rule) => ({ id: rule.id, category: 'custom', own: rule.action as MaskAction })),
    ...builtins.map(({ id, category }) => ({ id, category, own: undefined })),
  ];
  for (const { id, category, own } of kinds) {
    const fallback = own ?? defaultAction({ id, category: category as 'secret' | 'pii' | 'custom' });
    const teamOwn = teamIds.has(id) ? own : undefined;
    const tw = written(t, id, category, teamOwn);
    const lw = written(local, id, category, teamIds.has(id) ? undefined : own);
    const localSetting = { enabled: lw.enabled ?? true, action: lw.action ?? fallback };
    const localSource: PolicySource =
      lw.enabled !== undefined || lw.action !== undefined ? 'local' : 'default';
    const teamWrites = tw.enabled !== undefined || tw.action !== undefined;
    if (!teamWrites) {
      detectors[id] = localSetting;
      sources.set(id, teamIds.has(id) ? 'team' : localSource);
      continue;
    }
    const teamSetting = { enabled: tw.enabled ?? true, action: tw.action ?? fallback };
    const strength = (s: { enabled: boolean; action: MaskAction }) =>
      s.enabled ? maskStrength(s.action) : 0;
    const localWins = strength(localSetting) > strength(teamSetting);
    detectors[id] = localWins ? localSetting : teamSetting;
    sources.set(id, localWins ? 'local' : 'team');
  }
  const teamOutbound = owns(team.raw, 'outbound') && t.outbound.enabled;
  const outboundLists = [
    ...(teamOutbound ? t.outbound.detectors : []),
    ...(local.outbound.enabled ? local.outbound.detectors : []),
  ];
  const approvals = { ...local.approvals };
  for (const key of Object.keys(approvals) as Array<keyof typeof approvals>) {
    if (owns(team.raw, 'approvals', key)) Object.assign(approvals, { [key]: t.approvals[key] });
  }
  const teamDictionary = owns(team.raw, 'sensitiveColumns');
  const merged: PolicyDocument = {
    ...local,
    detectors,
    custom,
    columns: [...t.columns, ...local.columns],
    sensitiveColumns: teamDictionary
      ? strongerDictionary(t.sensitiveColumns, local.sensitiveColumns)
      : local.sensitiveColumns,
    outbound: { enabled: teamOutbound || local.outbound.enabled, detectors: [...new Set(outboundLists)] },
    approvals,
  };
  const base = compilePolicy(merged, options);

  const teamColumns = columnMatcher({
    ...t,
    sensitiveColumns: teamDictionary ? t.sensitiveColumns : { ...t.sensitiveColumns, enabled: false },
  });
  const localColumns = columnMatcher(local);
  const teamPinsDefaults = owns(team.raw, 'guardrails', 'defaults') && t.guardrails.defaults;
  const teamGuard = compileGuardRules(t.guardrails.rules, teamPinsDefaults ? BUILTIN_GUARD_RULES : [], {
    enabled: t.guardrails.enabled,
  });
  const teamRuleIds = new Set(teamGuard.rules.map((rule) => rule.id));
  const localGuard = compileGuardRules(
    local.guardrails.rules.filter((rule) => !teamRuleIds.has(rule.id)),
    local.guardrails.defaults && !teamPinsDefaults ? BUILTIN_GUARD_RULES : [],
    { enabled: local.guardrails.enabled },
  );
  const guard = layeredGuard(
    withSource(teamGuard, () => 'team'),
    withSource(localGuard, (builtin) => (builtin ? 'default' : 'local')),
  );

  const { version: _version, ...body } = base.effective;
  const annotated: Omit<EffectivePolicy, 'version'> = {
    ...body,
    team: { version: team.version },
    detectors: body.detectors.map((d) => ({ ...d, source: sources.get(d.id) ?? 'default' })),
    custom: body.custom.map((rule) => ({ ...rule, source: teamIds.has(rule.id) ? 'team' : 'local' })),
    columns: body.columns.map((rule, i) => ({ ...rule, source: i < t.columns.length ? 'team' : 'local' })),
    sensitiveColumns: {
      ...body.sensitiveColumns,
      source: teamDictionary
        ? 'team'
        : isDeepStrictEqual(local.sensitiveColumns, defaultPolicy().sensitiveColumns)
          ? 'default'
          : 'local',
    },
    guardrails: { enabled: guard.enabled, defaults: body.guardrails.defaults, rules: [...guard.rules] },
  };
  const version = createHash('sha256').update(canonicalJson(annotated)).digest('hex').slice(0, 12);
  return {
    ...base,
    document: local,
    effective: { version, ...annotated },
    version,
    columns: (column) => {
      const fromTeam = teamColumns(column);
      const fromLocal = localColumns(column);
      return maskStrength(fromLocal?.action) > maskStrength(fromTeam?.action)
        ? fromLocal
        : (fromTeam ?? fromLocal);
    },
    guard,
  };
}

/** The sensitive-column dictionary both layers' settings give: on if either, the stronger action, names of both. */
function strongerDictionary(
  team: PolicyDocument['sensitiveColumns'],
  local: PolicyDocument['sensitiveColumns'],
): PolicyDocument['sensitiveColumns'] {
  const on = [team, local].filter((d) => d.enabled);
  if (on.length === 0) return team;
  const strongest = on.reduce((a, b) => (maskStrength(b.action) > maskStrength(a.action) ? b : a));
  return {
    enabled: true,
    action: strongest.action,
    wire: on.some((d) => d.wire),
    add: [...new Set(on.flatMap((d) => d.add))],
    remove: on.length === 2 ? team.remove.filter((n) => local.remove.includes(n)) : on[0]!.remove,
  };
}

/** A matcher whose rules and decisions say which layer they came from. */
function withSource(matcher: RuleMatcher, source: (builtin: boolean) => PolicySource): RuleMatcher {
  const rules = matcher.rules.map((rule) => ({ ...rule, source: source(rule.builtin) }));
  return {
    enabled: matcher.enabled,
    rules,
    decide(facts, context) {
      const decision = matcher.decide(facts, context);
      return decision.rule
        ? { ...decision, rule: { ...decision.rule, source: source(decision.rule.builtin) } }
        : decision;
    },
  };
}
