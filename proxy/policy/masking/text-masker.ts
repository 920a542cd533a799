import { compileDetectors } from '../detectors/index.js';
import { maskWith } from './actions.js';
import type { Detector, MaskAction, MaskedText, MaskSpan, TextMasker } from './types.js';

/**
 * A {@link TextMasker} that runs `detectors` (keyword prefilter compiled once here, first listed wins an overlap) and
 * replaces each finding by its detector's action from `actions` (maskWith). Spans are in the original
 * text's offsets (UTF-16 code units); a text with no finding comes back as the same string with no spans.
 * @param actions per detector id; every detector in `detectors` must have one
 * @param hashKey the installation's key for `hash` (mask-key.ts)
 */
export function textMasker(
  detectors: readonly Detector[],
  actions: ReadonlyMap<string, MaskAction>,
  hashKey: Buffer,
): TextMasker {
  const scanner = compileDetectors(detectors);
  return {
    mask(text: string): MaskedText {
      if (text.length === 0 || detectors.length === 0) return { text, spans: [], counts: {} };
      const findings = scanner.findAll(text);
      if (findings.length === 0) return { text, spans: [], counts: {} };
      const spans: MaskSpan[] = [];
      const counts: Record<string, number> = {};
      let out = '';
      let at = 0;
      for (const finding of findings) {
        if (finding.end <= finding.start || finding.start < at) continue;
        const action = actions.get(finding.detector) ?? { type: 'redact' };
        out += text.slice(at, finding.start);
        out += maskWith(text.slice(finding.start, finding.end), action, finding.detector, hashKey);
        at = finding.end;
        spans.push({ ...finding, action: action.type });
        counts[finding.detector] = (counts[finding.detector] ?? 0) + 1;
      }
      return { text: out + text.slice(at), spans, counts };
    },
  };
}
