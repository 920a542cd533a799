import { shownActivity } from '../store/activity.js';
import type { Session } from '../store/types.js';
import { count, dollars, duration, timestamp } from './format.js';
import { personCell } from './identity-text.js';

/** The columns of `glassbox sessions`, each counting one thing and named for it. */
const HEAD = [
  'ID',
  'KIND',
  'TARGET',
  'STATUS',
  'STARTED',
  'DURATION',
  'TURNS',
  'STATEMENTS',
  'TOKENS',
  'COST',
  'ERRORS',
  'PERSON',
  'CLIENT',
];

/**
 * The `glassbox sessions` table at `nowUs` (µs since epoch), one line per session, columns padded to align.
 * STATUS is the shown status (`idle` for a quiet live Claude session, see activity.ts) and DURATION runs to
 * now, the last event or the end accordingly. TURNS, TOKENS and COST apply to Claude sessions and STATEMENTS
 * to PostgreSQL ones; elsewhere they show '—'. PERSON is the verified person (`✓ email`) or the OS user.
 * `under` gives lines to print below a session's row (where a search matched).
 * @returns the lines with a trailing line feed
 */
export function sessionsTable(
  sessions: readonly Session[],
  nowUs: number,
  under: (session: Session) => string[] = () => [],
): string {
  const rows = sessions.map((s) => {
    const shown = shownActivity(s, nowUs);
    const claude = s.kind === 'anthropic';
    return [
      s.id,
      s.kind,
      clipCell(s.target, 32),
      shown.status,
      timestamp(s.started_at),
      duration(shown.end - s.started_at),
      claude ? count(s.stats.turns) : '—',
      s.kind === 'postgres' ? count(s.stats.statements) : '—',
      claude ? count((s.stats.input_tokens ?? 0) + (s.stats.output_tokens ?? 0)) : '—',
      claude ? costCell(s) : '—',
      count(s.stats.errors),
      clipCell(personCell(s.identity), 40),
      (s.client ?? '—').slice(0, 40),
    ];
  });
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(HEAD), ...rows.flatMap((row, i) => [line(row), ...under(sessions[i]!)])].join('\n')}\n`;
}

/**
 * A Claude session's COST cell: `$1.27+` when some turns used a model with no known price (the sum leaves
 * them out), `unpriced` when all did.
 */
function costCell(session: Session): string {
  const { cost_usd: cost, unpriced_turns: unpriced } = session.stats;
  if (!unpriced) return dollars(cost ?? 0);
  return cost ? `${dollars(cost)}+` : 'unpriced';
}

/** A cell cut to `max` characters with an ellipsis. */
function clipCell(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
