import type { Session, SessionsQuery } from '../../../proxy/api/types';

/** What the sessions view filters by, as the user set it. */
export interface Filters {
  q: string;
  kind: '' | Session['kind'];
  status: '' | Session['status'];
  target: string;
  /** Start-time window: '' (any time) or one of {@link RANGES}' keys. */
  range: '' | keyof typeof RANGES;
}

/** Start-time windows offered, as their length in µs. */
export const RANGES = { '1h': 3_600e6, '24h': 86_400e6, '7d': 7 * 86_400e6, '30d': 30 * 86_400e6 } as const;

/** No filter set. */
export const NO_FILTERS: Filters = { q: '', kind: '', status: '', target: '', range: '' };

/** The API query for `filters` at time `nowUs` (µs since epoch). */
export function toQuery(filters: Filters, nowUs: number): SessionsQuery {
  return {
    q: filters.q.trim() || undefined,
    kind: filters.kind || undefined,
    status: filters.status || undefined,
    target: filters.target.trim() || undefined,
    from: filters.range ? Math.floor(nowUs - RANGES[filters.range]) : undefined,
  };
}

/**
 * Whether a session pushed live belongs in the list under `filters`. A full-text query cannot be checked here
 * (the index is in the engine), so with one set, only sessions already listed are updated.
 */
export function matchesLive(session: Session, filters: Filters, nowUs: number): boolean {
  if (filters.q.trim()) return false;
  if (filters.kind && session.kind !== filters.kind) return false;
  if (filters.status && session.status !== filters.status) return false;
  if (filters.target.trim() && !session.target.toLowerCase().includes(filters.target.trim().toLowerCase()))
    return false;
  if (filters.range && session.started_at < nowUs - RANGES[filters.range]) return false;
  return true;
}

/**
 * Merges `session` into a newest-first list: replaces the row with its id, or inserts it in start order.
 * @returns a new array (the input is not changed)
 */
export function upsertSession(list: readonly Session[], session: Session): Session[] {
  const at = list.findIndex((s) => s.id === session.id);
  if (at >= 0) {
    const copy = list.slice();
    copy[at] = session;
    return copy;
  }
  const index = list.findIndex((s) => s.started_at < session.started_at);
  const copy = list.slice();
  copy.splice(index < 0 ? copy.length : index, 0, session);
  return copy;
}
