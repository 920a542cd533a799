/**
 * The effective policy: a parsed document resolved against the detectors this Glassbox has — every detector
 * on or off with its action, the custom patterns, column rules, the sensitive-column dictionary as it
 * applies, outbound masking, the guard rules in the order they are tried (the file's, then the built-in
 * ones) and the approvals settings. Plain data: what `glassbox policy show` prints, what the dashboard lists,
 * and what `policy.changed` events record and diff.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../common/canonical-json.js';
import { DEFAULT_SENSITIVE_COLUMNS, defaultAction } from './defaults.js';
import { BUILTIN_DETECTORS } from './detectors/index.js';
import type { ColumnAction, CustomRule, PolicyDocument } from './document.js';
import { BUILTIN_GUARD_RULES } from './guard/default-rules.js';
import { type ApprovalSettings, approvalSettings } from './guard/rule-schema.js';
import { type EffectiveGuardRule, resolveGuardRules } from './guard/rules.js';
import type { Detector, DetectorCategory, MaskAction } from './masking/types.js';

/**
 * Where a rule of the effective policy came from: the team policy the server serves (team-layers.ts), the
 * local policy.json, or the built-in default. Present only while a team policy applies; without one every
 * rule is local or default (a guard rule: `builtin` says which).
 */
export type PolicySource = 'team' | 'local' | 'default';

/** One detector as the policy applies it. */
export interface EffectiveDetector {
  id: string;
  category: DetectorCategory;
  enabled: boolean;
  action: MaskAction;
  /** Also replaced in requests to the Anthropic API (when outbound masking is on). */
  outbound: boolean;
  source?: PolicySource;
}

/** A policy resolved against the built-in detectors (see the module comment). */
export interface EffectivePolicy {
  /** 12 hex digits of SHA-256 over the rest of this object's canonical JSON: equal policies, equal versions. */
  version: string;
  /** The team policy applied on top of the local one (its server version); absent when none. */
  team?: { version: number };
  /** Custom patterns first (they win an overlap), then the built-in detectors, secrets first. */
  detectors: EffectiveDetector[];
  custom: Array<CustomRule & { source?: PolicySource }>;
  /** Column rules: with a team policy, the team's first, then the local ones (the stronger answer applies). */
  columns: Array<{
    rule: string;
    match: string;
    connection: string | null;
    action: ColumnAction;
    wire: boolean;
    source?: PolicySource;
  }>;
  sensitiveColumns: {
    enabled: boolean;
    action: MaskAction;
    wire: boolean;
    names: string[];
    source?: PolicySource;
  };
  outbound: { enabled: boolean; detectors: string[] };
  /**
   * Guard rules in the order they are tried: the file's own, then the built-in ones it does not replace
   * (none when `defaults` is false). When `enabled` is false they are listed but nothing is decided by them.
   */
  guardrails: { enabled: boolean; defaults: boolean; rules: EffectiveGuardRule[] };
  /** How held operations wait, durations in ms. */
  approvals: ApprovalSettings;
}

/**
 * Resolves a document: a detector's setting comes from its own `detectors` entry, else its kind's wildcard
 * (`secret.*`, `pii.*`, `custom.*`), else `*`, field by field (an entry giving only `action` keeps the
 * wildcard's `enabled`); what none gives is the default (on; defaults.ts `defaultAction`, or a custom rule's
 * own action). A detector is outbound when outbound masking is on, it is enabled, and `outbound.detectors`
 * names it or its kind.
 */
export function effectivePolicy(
  doc: PolicyDocument,
  builtins: readonly Detector[] = BUILTIN_DETECTORS,
): EffectivePolicy {
  const kinds: Array<Pick<Detector, 'id' | 'category'> & { own?: MaskAction }> = [
    ...doc.custom.map((rule) => ({ id: rule.id, category: 'custom' as const, own: rule.action })),
    ...builtins.map(({ id, category }) => ({ id, category })),
  ];
  const outboundIds = new Set(doc.outbound.detectors);
  const detectors = kinds.map(({ id, category, own }): EffectiveDetector => {
    const settings = [doc.detectors[id], doc.detectors[`${category}.*`], doc.detectors['*']];
    const enabled = settings.find((s) => s?.enabled !== undefined)?.enabled ?? true;
    const action =
      settings.find((s) => s?.action !== undefined)?.action ?? own ?? defaultAction({ id, category });
    const listed = outboundIds.has(id) || outboundIds.has(`${category}.*`) || outboundIds.has('*');
    return { id, category, enabled, action, outbound: doc.outbound.enabled && enabled && listed };
  });
  const { sensitiveColumns: dictionary } = doc;
  const names = DEFAULT_SENSITIVE_COLUMNS.filter((name) => !dictionary.remove.includes(name));
  for (const name of dictionary.add) if (!names.includes(name)) names.push(name);
  const body: Omit<EffectivePolicy, 'version'> = {
    detectors,
    custom: doc.custom,
    columns: doc.columns.map(({ match, connection, action, wire }) => ({
      rule: `column.${match}`,
      match,
      connection: connection ?? null,
      action,
      wire,
    })),
    sensitiveColumns: {
      enabled: dictionary.enabled,
      action: dictionary.action,
      wire: dictionary.wire,
      names: dictionary.enabled ? names : [],
    },
    outbound: {
      enabled: doc.outbound.enabled,
      detectors: detectors.filter((d) => d.outbound).map((d) => d.id),
    },
    guardrails: {
      enabled: doc.guardrails.enabled,
      defaults: doc.guardrails.defaults,
      rules: resolveGuardRules(doc.guardrails.rules, doc.guardrails.defaults ? BUILTIN_GUARD_RULES : []),
    },
    approvals: approvalSettings(doc.approvals),
  };
  const version = createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 12);
  return { version, ...body };
}
