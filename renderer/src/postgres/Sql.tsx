import hljs from 'highlight.js/lib/core';
import sql from 'highlight.js/lib/languages/sql';
import { useMemo } from 'react';

hljs.registerLanguage('sql', sql);

/** Longest SQL highlighted; longer text is shown plain (highlighting is the slow part of a row). */
const MAX_HIGHLIGHT = 20_000;

/** SQL syntax-highlighted with highlight.js (the sql grammar only). */
export function Sql({ text }: { text: string }) {
  const html = useMemo(
    () =>
      text.length <= MAX_HIGHLIGHT
        ? hljs.highlight(text, { language: 'sql', ignoreIllegals: true }).value
        : null,
    [text],
  );
  if (html === null) return <pre className="sql">{text}</pre>;
  return (
    <pre className="sql">
      <code dangerouslySetInnerHTML={{ __html: html }} />
    </pre>
  );
}
