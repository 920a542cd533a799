/**
 * The compiled policy: the matchers and maskers built from a policy document (document.ts), which the
 * proxies call — before storage (`text`, `maskJson`, `columns` + `maskValue`), on the PostgreSQL wire
 * (`columns` with `wire`, `maskValue`) and outbound to the Anthropic API (`outbound`). Built once per
 * policy version and immutable; the engine swaps in a new one when policy.json changes (watcher.ts), so a
 * caller should take `engine.policy.current()` once per message or statement and use that throughout.
 */
import { type ColumnMask, type ColumnRef, columnMatcher } from './column-rules.js';
import { BUILTIN_DETECTORS } from './detectors/index.js';
import type { CustomRule, PolicyDocument } from './document.js';
import { type EffectivePolicy, effectivePolicy } from './effective.js';
import { BUILTIN_GUARD_RULES } from './guard/default-rules.js';
import type { ApprovalSettings } from './guard/rule-schema.js';
import { compileGuardRules, type RuleMatcher } from './guard/rules.js';
import { maskWith } from './masking/actions.js';
import { type MaskedJson, maskJsonWith } from './masking/mask-json.js';
import { textMasker } from './masking/text-masker.js';
import type { Detector, MaskAction, TextMasker } from './masking/types.js';

export type { ColumnMask, ColumnRef } from './column-rules.js';
export type { MaskedJson } from './masking/mask-json.js';

/** A policy ready to run. Pure and immutable: the same input always gives the same output. */
export interface CompiledPolicy {
  /** The document it was built from (parsed: every field present). */
  readonly document: PolicyDocument;
  /** The document resolved against the built-in detectors: what `policy show` prints. */
  readonly effective: EffectivePolicy;
  /** 12 hex digits naming this policy's effect ({@link EffectivePolicy.version}); changes when it does. */
  readonly version: string;
  /**
   * Masks free text by every enabled detector (custom patterns first, then the built-in ones), each finding
   * replaced by its detector's action; spans in the original text's offsets, counts per detector.
   */
  readonly text: TextMasker;
  /** Masks a request bound for the Anthropic API by the outbound detectors; null when outbound is off. */
  readonly outbound: TextMasker | null;
  /**
   * How a PostgreSQL result column is masked, or undefined when it is not (see column-rules.ts for the rule
   * order and the dictionary's word rule). Answers from memory for columns seen before.
   */
  columns(column: ColumnRef): ColumnMask | undefined;
  /**
   * A whole value masked by `action` (a column's value under its {@link ColumnMask}): `[MASKED:<id>]`,
   * `••••1111`, `hash:3f2a91c0`; `null` gives the redact form, since a NULL exists only on the wire, where
   * the caller writes it itself.
   * @param id the rule or detector id (`column.customers.email`), named by `redact`
   */
  maskValue(value: string, action: MaskAction, id: string): string;
  /**
   * Masks every string inside a parsed JSON value with {@link CompiledPolicy.text} (object keys untouched),
   * copying only the objects and arrays on the way to a change: an unchanged subtree is the same object,
   * and a value with nothing to mask is returned itself. Counts are summed over the whole value. Never
   * mutates its input.
   */
  maskJson<T>(value: T): MaskedJson<T>;
  /** False when no column rule names a table: the PostgreSQL proxy then never looks table names up. */
  readonly tableRules: boolean;
  /** False when no column rule applies on the wire: COPY OUT then needs no column lookup. */
  readonly wireRules: boolean;
  /** The guard rules (guardrails section and built-in defaults): decides operations' facts, first match wins. */
  readonly guard: RuleMatcher;
  /** How held operations wait for a decision (the approvals section, durations in ms). */
  readonly approvals: ApprovalSettings;
}

/** What compiling needs besides the document. */
export interface CompileOptions {
  /** The installation's key for the `hash` action (masking/mask-key.ts `loadMaskKey`), 32 bytes. */
  hashKey: Buffer;
  /** The built-in detectors (default: detectors/index.ts `BUILTIN_DETECTORS`); tests may pass others. */
  detectors?: readonly Detector[];
}

/**
 * Builds the matchers and maskers of a parsed policy document. Does not validate: pass what
 * document.ts `parsePolicy` returned.
 */
export function compilePolicy(doc: PolicyDocument, options: CompileOptions): CompiledPolicy {
  const { hashKey } = options;
  const builtins = options.detectors ?? BUILTIN_DETECTORS;
  const effective = effectivePolicy(doc, builtins);
  const all = new Map<string, Detector>(
    [...doc.custom.map(customDetector), ...builtins].map((detector) => [detector.id, detector]),
  );
  const actions = new Map(effective.detectors.map((d) => [d.id, d.action]));
  const pick = (keep: (d: EffectivePolicy['detectors'][number]) => boolean) =>
    effective.detectors.filter(keep).map((d) => all.get(d.id)!);
  const text = textMasker(
    pick((d) => d.enabled),
    actions,
    hashKey,
  );
  const outbound = effective.outbound.enabled
    ? textMasker(
        pick((d) => d.outbound),
        actions,
        hashKey,
      )
    : null;
  const columns = columnMatcher(doc);
  const mask = (value: string) => text.mask(value);
  return {
    document: doc,
    effective,
    version: effective.version,
    text,
    outbound,
    columns,
    maskValue: (value, action, id) => maskWith(value, action, id, hashKey),
    maskJson: (value) => maskJsonWith(value, mask),
    tableRules: doc.columns.some((rule) => rule.match.includes('.')),
    wireRules:
      effective.columns.some((rule) => rule.wire) ||
      (effective.sensitiveColumns.enabled && effective.sensitiveColumns.wire),
    guard: guardMatcher(doc),
    approvals: effective.approvals,
  };
}

/** The guard rules of a parsed document: its `guardrails` rules, then the built-in ones unless turned off. */
export function guardMatcher(doc: PolicyDocument): RuleMatcher {
  const { rules, defaults, enabled } = doc.guardrails;
  return compileGuardRules(rules, defaults ? BUILTIN_GUARD_RULES : [], { enabled });
}

/** A custom pattern as a detector: its regular expression (global, with its flags), empty matches skipped. */
function customDetector(rule: CustomRule): Detector {
  const re = new RegExp(rule.pattern, `g${rule.flags}`);
  return {
    id: rule.id,
    category: 'custom',
    description: rule.description ?? `Custom pattern /${rule.pattern}/${rule.flags}`,
    keywords: rule.keywords,
    *find(text: string) {
      for (const m of text.matchAll(re)) {
        if (m[0].length > 0) yield { start: m.index, end: m.index + m[0].length };
      }
    },
  };
}
