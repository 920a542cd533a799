/**
 * The contract between masking's parts (DESIGN.md, "Policy" and "Masking"): detectors find values in text,
 * the policy says what to do with each kind (an action), and a compiled policy applies it — before storage,
 * on the PostgreSQL wire, and outbound to the Anthropic API. Rule *definitions* are plain data
 * (policy/document.ts); what is built from them to run (matchers, maskers) lives beside them and is rebuilt
 * when the policy changes.
 */

/** Whether a detector finds credentials, personal data, or a pattern the policy defines. */
export type DetectorCategory = 'secret' | 'pii' | 'custom';

/** Where a value was found in a text: [start, end) in UTF-16 code units. */
export interface TextRange {
  start: number;
  end: number;
}

/**
 * One kind of value a text may hold, by its documented format: an API key, a JWT, an email address.
 * `find` is cheap to skip: it runs only on texts holding one of `keywords` (a prefilter, so not every pattern
 * runs over every byte); an empty list means it always runs.
 */
export interface Detector {
  /** Stable id, `secret.*`, `pii.*` or `custom.*`: what policies and events name it by. */
  readonly id: string;
  readonly category: DetectorCategory;
  /** One line for people: "Anthropic API key (sk-ant-…)". */
  readonly description: string;
  /** Literal substrings (matched case-insensitively) of which a text must hold one for `find` to run. */
  readonly keywords: readonly string[];
  /** Every value of this kind in `text`, in order, not overlapping; validated (checksums, entropy) already. */
  find(text: string): Iterable<TextRange>;
}

/** A detector's value found in a text. */
export interface Finding extends TextRange {
  detector: string;
}

/**
 * What replaces a value: `redact` → `[MASKED:pii.email]`; `partial` → all but the last `keep` characters as
 * `•` (`••••••••••••1111`); `hash` → `hash:` and 8 hex digits of an HMAC-SHA-256 under the installation's
 * key (equal values correlate, nothing is reversible); `null` → SQL NULL (PostgreSQL wire only; elsewhere it
 * acts as `redact`).
 */
export type MaskAction =
  | { type: 'redact' }
  | { type: 'partial'; keep: number }
  | { type: 'hash' }
  | { type: 'null' };

/** A value masked in a text: where it was (in the original), which detector, and the action taken. */
export interface MaskSpan extends Finding {
  action: MaskAction['type'];
}

/** A text after masking: the masked text, the spans masked (original offsets), and counts per detector. */
export interface MaskedText {
  text: string;
  spans: MaskSpan[];
  /** How many values each detector masked, e.g. `{ "pii.email": 3 }`: what events record (never values). */
  counts: Record<string, number>;
}

/** Masks free text by a policy's detectors and actions. Pure: the same text gives the same result. */
export interface TextMasker {
  mask(text: string): MaskedText;
}
