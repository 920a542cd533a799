import type { SearchMatch } from '../search/snippet.js';

/**
 * The line under a session in `glassbox sessions --search`: where the words matched and a snippet, e.g.
 * `    ↳ turn 1, prompt: …run echo glassbox-hello for the okapi census` (an event with no turn or statement
 * number is named by its seq: `pause #1`).
 */
export function matchLine(match: SearchMatch): string {
  const where = match.place ? `${match.place}, ${match.label}` : `${match.label} #${match.seq}`;
  return `    ↳ ${where}: ${match.text}`;
}

/**
 * What `glassbox sessions` says when it lists nothing: that nothing matched the search or filters given,
 * else that nothing is recorded yet.
 */
export function noSessionsLine(filters: {
  search?: string;
  kind?: string;
  status?: string;
  person?: string;
  group?: string;
}): string {
  const given = [
    filters.kind && `kind ${filters.kind}`,
    filters.status && `status ${filters.status}`,
    filters.person && `person ${filters.person}`,
    filters.group && `group ${filters.group}`,
  ].filter(Boolean);
  if (filters.search) {
    const also = given.length > 0 ? ` with ${given.join(' and ')}` : '';
    return `No sessions match "${filters.search}"${also}.`;
  }
  if (given.length > 0) return `No sessions with ${given.join(' and ')}.`;
  return 'No sessions recorded yet. Start `glassbox serve` and point an agent at it.';
}
