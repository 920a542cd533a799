import { MaskedText, spanHighlights } from './MaskedText';
import type { DraftCheck } from './usePolicy';

/**
 * "Type or paste a text": the text masked by the draft as you type (through the same preview call that
 * checks the draft), each masked value highlighted and labelled by its detector.
 */
export function TextPreview({
  text,
  onText,
  check,
  usable,
  placeholder,
}: {
  text: string;
  onText: (text: string) => void;
  check: DraftCheck;
  /** False while the draft does not parse or has problems: its masking cannot be shown. */
  usable: boolean;
  placeholder: string;
}) {
  const result = usable ? check.result : null;
  const counts = result ? Object.entries(result.counts) : [];
  return (
    <div className="preview-pane">
      <textarea
        className="input sample-text mono"
        aria-label="Text to mask"
        data-testid="preview-input"
        placeholder={placeholder}
        spellCheck={false}
        value={text}
        onChange={(event) => onText(event.target.value)}
      />
      <div className="preview-caption small">
        {!usable ? (
          <span className="faint">Fix the draft to see how it masks this text.</span>
        ) : !result ? (
          <span className="faint">…</span>
        ) : counts.length === 0 ? (
          <span className="faint">Nothing masked.</span>
        ) : (
          <span data-testid="preview-counts">
            Masked:{' '}
            {counts.map(([id, n]) => (
              <span key={id} className="count-chip">
                <span className="mono">{id}</span> ×{n}
              </span>
            ))}
          </span>
        )}
        {check.pending && usable ? <span className="faint"> · updating…</span> : null}
      </div>
      {result && text !== '' ? (
        <MaskedText text={result.text} highlights={spanHighlights(result.spans)} testId="preview-output" />
      ) : null}
    </div>
  );
}
