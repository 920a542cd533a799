/**
 * The masking preview's view of a compiled policy (DESIGN.md, "Masking": "Preview: the dashboard shows what a
 * draft policy would do before it applies"): its detectors described for people, and a text masked with each
 * masked span placed both in the original and in the masked text, so the dashboard can highlight it.
 */
import type { CompiledPolicy } from '../compile.js';
import { BUILTIN_DETECTORS } from '../detectors/index.js';
import type { EffectiveDetector } from '../effective.js';
import type { MaskAction, MaskSpan } from '../masking/types.js';

/** A detector as the preview lists it: as the policy applies it, and what it finds in one line. */
export interface DetectorView extends EffectiveDetector {
  description: string;
}

/** A masked span: where the value was in the original text, and where its replacement is in the masked one. */
export interface PreviewSpan extends MaskSpan {
  /** [masked_start, masked_end) in the masked text, UTF-16 code units. */
  masked_start: number;
  masked_end: number;
}

/** A text masked by a policy, for the preview. */
export interface PreviewedText {
  text: string;
  spans: PreviewSpan[];
  counts: Record<string, number>;
}

/**
 * The policy's detectors (custom patterns first, then the built-in ones, as {@link CompiledPolicy.effective}
 * lists them), each with its description: a custom pattern's own, else its pattern.
 */
export function describeDetectors(policy: CompiledPolicy): DetectorView[] {
  const descriptions = new Map<string, string>(BUILTIN_DETECTORS.map((d) => [d.id, d.description]));
  // The effective list: with a team policy it holds the team's custom patterns too.
  for (const rule of policy.effective.custom)
    descriptions.set(rule.id, rule.description ?? `Custom pattern /${rule.pattern}/${rule.flags}`);
  return policy.effective.detectors.map((d) => ({ ...d, description: descriptions.get(d.id) ?? d.id }));
}

/** The action a policy takes for what `detector` finds (redact when it names none). */
export function detectorAction(policy: CompiledPolicy, detector: string): MaskAction {
  return policy.effective.detectors.find((d) => d.id === detector)?.action ?? { type: 'redact' };
}

/**
 * Masks `text` with the policy's text masker (the same one the proxies use) and places each span's
 * replacement in the masked text.
 * @throws Error if the replacements do not add up to the masked text (a bug, never the input's fault)
 */
export function previewText(policy: CompiledPolicy, text: string): PreviewedText {
  const masked = policy.text.mask(text);
  const spans: PreviewSpan[] = [];
  let at = 0;
  let out = 0;
  for (const span of masked.spans) {
    out += span.start - at;
    const length = replacement(policy, text, span).length;
    spans.push({ ...span, masked_start: out, masked_end: out + length });
    out += length;
    at = span.end;
  }
  if (out + (text.length - at) !== masked.text.length)
    throw new Error('the masked spans do not add up to the masked text');
  return { text: masked.text, spans, counts: masked.counts };
}

/** What replaces a span's value under its detector's action (as the text masker wrote it). */
export function replacement(policy: CompiledPolicy, text: string, span: MaskSpan): string {
  return policy.maskValue(
    text.slice(span.start, span.end),
    detectorAction(policy, span.detector),
    span.detector,
  );
}
