import type { ReactNode } from 'react';
import type { PreviewSpan } from '../../../proxy/api/types';

/** A range of a masked text to highlight, and the label (detector or rule) it carries. */
export interface Highlight {
  start: number;
  end: number;
  label: string;
  title?: string;
}

/** The spans of a preview answer as highlights of its masked text. */
export function spanHighlights(spans: PreviewSpan[]): Highlight[] {
  return spans.map((s) => ({
    start: s.masked_start,
    end: s.masked_end,
    label: s.detector,
    title: `${s.detector} · ${s.action}`,
  }));
}

/**
 * A masked text with each masked value highlighted and labelled by what masked it (the label is drawn from
 * `data-detector` by CSS, so the text copies as it is). Text only: nothing in it is ever read as HTML.
 */
export function MaskedText({
  text,
  highlights,
  testId,
}: {
  text: string;
  highlights: Highlight[];
  testId?: string;
}) {
  const parts: ReactNode[] = [];
  let at = 0;
  highlights.forEach((h, i) => {
    if (h.start < at || h.end > text.length) return;
    if (h.start > at) parts.push(text.slice(at, h.start));
    parts.push(
      <mark key={i} className="mask-span" title={h.title ?? h.label} data-detector={h.label}>
        {text.slice(h.start, h.end)}
      </mark>,
    );
    at = h.end;
  });
  if (at < text.length) parts.push(text.slice(at));
  return (
    <pre className="code masked-text" data-testid={testId}>
      {parts}
    </pre>
  );
}
