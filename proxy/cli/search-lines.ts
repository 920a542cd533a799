import type { SearchMatch } from '../search/snippet.js';

/**
 * The line under a session in `glassbox sessions --search`: where the words matched and a snippet, e.g.
 * `    ↳ prompt #1: …run echo glassbox-hello for the okapi census`.
 */
export function matchLine(match: SearchMatch): string {
  return `    ↳ ${match.label} #${match.seq}: ${match.text}`;
}

/**
 * What `glassbox sessions` says when it lists nothing: that nothing matched the search or filters given,
 * else that nothing is recorded yet.
 */
export function noSessionsLine(filters: { search?: string; kind?: string; status?: string }): string {
  const given = [filters.kind && `kind ${filters.kind}`, filters.status && `status ${filters.status}`].filter(
    Boolean,
  );
  if (filters.search) {
    const also = given.length > 0 ? ` with ${given.join(' and ')}` : '';
    return `No sessions match "${filters.search}"${also}.`;
  }
  if (given.length > 0) return `No sessions with ${given.join(' and ')}.`;
  return 'No sessions recorded yet. Start `glassbox serve` and point an agent at it.';
}
