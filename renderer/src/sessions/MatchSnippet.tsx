import type { ReactNode } from 'react';
import type { SearchMatch } from '../../../proxy/api/types';

/** `text` with the [start, end) ranges of `hits` marked. */
function marked(text: string, hits: ReadonlyArray<readonly [number, number]>): ReactNode[] {
  const out: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of hits) {
    if (start < at || end > text.length) continue;
    if (start > at) out.push(text.slice(at, start));
    out.push(<mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

/**
 * Where a search matched in a session, under its row: where (turn 3, prompt; statement 2, SQL) and a
 * snippet of its text with the words found marked. Clicking it opens the session.
 */
export function MatchSnippet({ match, onOpen }: { match: SearchMatch; onOpen: () => void }) {
  return (
    <button type="button" className="srow-match" data-testid="search-match" onClick={onOpen} tabIndex={-1}>
      <span className="faint">
        {match.place ? `${match.place}, ${match.label}` : `${match.label} #${match.seq}`}
      </span>{' '}
      <span className="ellipsis">{marked(match.text, match.hits)}</span>
    </button>
  );
}
