import type { Session, SessionsQuery } from '../../../proxy/api/types';

/** What the sessions view filters by, as the user set it. */
export interface Filters {
  q: string;
  kind: '' | Session['kind'];
  status: '' | Session['status'];
  target: string;
  /** Start-time window: '' (any time) or one of {@link RANGES}' keys. */
  range: '' | keyof typeof RANGES;
  /** A person: a verified subject or email ('' = anyone). */
  person: string;
  /** One of a verified person's groups ('' = any). */
  group: string;
}

/** Start-time windows offered, as their length in µs. */
export const RANGES = { '1h': 3_600e6, '24h': 86_400e6, '7d': 7 * 86_400e6, '30d': 30 * 86_400e6 } as const;

/** No filter set. */
export const NO_FILTERS: Filters = {
  q: '',
  kind: '',
  status: '',
  target: '',
  range: '',
  person: '',
  group: '',
};

/** The API query for `filters` at time `nowUs` (µs since epoch). */
export function toQuery(filters: Filters, nowUs: number): SessionsQuery {
  return {
    q: filters.q.trim() || undefined,
    kind: filters.kind || undefined,
    status: filters.status || undefined,
    target: filters.target.trim() || undefined,
    from: filters.range ? Math.floor(nowUs - RANGES[filters.range]) : undefined,
    person: filters.person.trim() || undefined,
    group: filters.group.trim() || undefined,
  };
}

/** Filter names in the address, in this order (`/?kind=postgres&person=alice%40example.test`). */
const URL_KEYS = ['q', 'kind', 'status', 'target', 'range', 'person', 'group'] as const;
/** Values the view offers for its selects; anything else in an address is dropped. */
const CHOICES: Partial<Record<keyof Filters, readonly string[]>> = {
  kind: ['anthropic', 'postgres'],
  status: ['live', 'closed', 'interrupted'],
  range: Object.keys(RANGES),
};

/** The filters an address's query string (`location.search`) sets; unknown names and values are ignored. */
export function filtersFromSearch(search: string): Filters {
  const params = new URLSearchParams(search);
  const filters: Record<keyof Filters, string> = { ...NO_FILTERS };
  for (const key of URL_KEYS) {
    const value = params.get(key)?.slice(0, 500) ?? '';
    const allowed = CHOICES[key];
    if (value && (!allowed || allowed.includes(value))) filters[key] = value;
  }
  return filters as Filters;
}

/** The query string (with `?`, or '' when no filter is set) that {@link filtersFromSearch} reads back. */
export function filtersToSearch(filters: Filters): string {
  const params = new URLSearchParams();
  for (const key of URL_KEYS) {
    const value = filters[key].trim();
    if (value) params.set(key, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Whether `identity` is the person `person` names (its subject, or its email in any case). */
function isPerson(identity: Session['identity'], person: string): boolean {
  const wanted = person.trim().toLowerCase();
  return identity.subject === person.trim() || (identity.email ?? '').toLowerCase() === wanted;
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
  if (filters.person.trim() && !isPerson(session.identity, filters.person)) return false;
  if (filters.group.trim() && !session.identity.groups.includes(filters.group.trim())) return false;
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
