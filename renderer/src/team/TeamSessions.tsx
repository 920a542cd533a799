import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { ServerSession } from '../../../proxy/sync/protocol';
import { counted, when } from '../format';
import { kindLabel } from '../sessions/activity';
import { TeamCallError, type TeamSessionFilters } from './client';
import { useTeam } from './context';
import { useTeamLive } from './live';

/** The filter form's fields as typed (dates as `YYYY-MM-DD`, read as local days). */
export interface FilterFields {
  person: string;
  group: string;
  target: string;
  from: string;
  to: string;
  q: string;
}

const EMPTY: FilterFields = { person: '', group: '', target: '', from: '', to: '', q: '' };

/** The API's filters for the fields: empty fields left out, days as µs (`to` is the end of that day). */
export function filtersOf(fields: FilterFields): TeamSessionFilters {
  const day = (text: string, end: boolean): number | undefined => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
    const start = new Date(`${text}T00:00:00`).getTime();
    return Number.isNaN(start) ? undefined : (start + (end ? 86_400_000 : 0)) * 1000;
  };
  const filters: TeamSessionFilters = {};
  for (const key of ['person', 'group', 'target', 'q'] as const) {
    const value = fields[key].trim();
    if (value) filters[key] = value;
  }
  const from = day(fields.from, false);
  const to = day(fields.to, true);
  if (from !== undefined) filters.from = from;
  if (to !== undefined) filters.to = to;
  return filters;
}

/** Who a session belongs to, as the server believes it (the token that mirrored it). */
export function ownerLabel(owner: ServerSession['owner']): string {
  return owner.name ?? owner.email ?? owner.subject;
}

/**
 * The sessions mirrored to the server (everyone's for auditors, one's own otherwise), newest first, with
 * filters by person, group, target, time and text, and "Load more" (keyset pages). Kept mounted while a
 * session is open so the list, filters and pages survive going back.
 */
export function TeamSessions({ active, onOpen }: { active: boolean; onOpen: (id: string) => void }) {
  const { client, me, signedOut } = useTeam();
  const [fields, setFields] = useState<FilterFields>(EMPTY);
  const [applied, setApplied] = useState<TeamSessionFilters>({});
  const [sessions, setSessions] = useState<ServerSession[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (filters: TeamSessionFilters, after: string | null) => {
      setLoading(true);
      setError(null);
      try {
        const page = await client.sessions(filters, after);
        setSessions((current) => (after ? current.concat(page.sessions) : page.sessions));
        setCursor(page.next_cursor);
      } catch (failure) {
        if (failure instanceof TeamCallError && failure.status === 401) signedOut();
        setError((failure as Error).message);
      } finally {
        setLoading(false);
      }
    },
    [client, signedOut],
  );
  useEffect(() => {
    void load(applied, null);
  }, [load, applied]);
  // Live: a listed session that moved is re-read in place; others are counted until the list is reloaded.
  const [fresh, setFresh] = useState(0);
  useTeamLive((message) => {
    if (message.type !== 'session') return;
    if (!sessions.some((s) => s.id === message.session_id)) {
      setFresh((n) => n + 1);
      return;
    }
    client.session(message.session_id).then(
      (updated) => setSessions((list) => list.map((s) => (s.id === updated.id ? updated : s))),
      () => undefined,
    );
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setApplied(filtersOf(fields));
  };
  const field = (key: keyof FilterFields, label: string, type = 'text') => (
    <label className="team-filter">
      <span className="faint small">{label}</span>
      <input
        type={type}
        name={key}
        value={fields[key]}
        onChange={(e) => setFields((f) => ({ ...f, [key]: e.target.value }))}
      />
    </label>
  );
  if (!active) return null;
  return (
    <div className="team-sessions">
      <form className="team-filters" onSubmit={submit} aria-label="Filter sessions">
        {field('q', 'Text')}
        {me.auditor ? field('person', 'Person') : null}
        {me.auditor ? field('group', 'Group') : null}
        {field('target', 'Target')}
        {field('from', 'From', 'date')}
        {field('to', 'To', 'date')}
        <button type="submit" className="btn btn-primary">
          Search
        </button>
        <button
          type="button"
          className="btn btn-ghost"
          onClick={() => {
            setFields(EMPTY);
            setApplied({});
          }}
        >
          Clear
        </button>
      </form>
      <p className="faint small">
        {me.auditor ? "Everyone's sessions (you are an auditor)." : 'Your sessions.'}
      </p>
      {fresh > 0 ? (
        <button
          type="button"
          className="btn"
          data-testid="fresh-sessions"
          onClick={() => {
            setFresh(0);
            void load(applied, null);
          }}
        >
          New activity in other sessions · show
        </button>
      ) : null}
      {error ? <div className="error-text">Could not load sessions: {error}</div> : null}
      <table className="team-table" data-testid="team-sessions">
        <thead>
          <tr>
            <th>Owner</th>
            <th>Kind</th>
            <th>Target</th>
            <th>Started</th>
            <th>Events</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id} className="team-row" data-testid="team-session-row" data-id={s.id}>
              <td>
                <a
                  href={`/s/${s.id}`}
                  onClick={(e) => {
                    if (e.button !== 0 || e.metaKey || e.ctrlKey) return;
                    e.preventDefault();
                    onOpen(s.id);
                  }}
                >
                  {ownerLabel(s.owner)}
                </a>
                {s.identity_mismatch ? (
                  <span className="badge badge-err" title="The recorded identity disagrees with the token">
                    identity mismatch
                  </span>
                ) : null}
              </td>
              <td>
                <span className={`kind kind-${s.kind}`}>{kindLabel(s)}</span>
              </td>
              <td className="mono">{s.target}</td>
              <td>{when(s.started_at)}</td>
              <td>{counted(s.head_seq, 'event')}</td>
              <td>
                {s.status}
                {s.alerts > 0 ? <span className="badge badge-err">{counted(s.alerts, 'alert')}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && sessions.length === 0 && !error ? (
        <div className="page-message faint">No sessions match.</div>
      ) : null}
      {cursor ? (
        <button type="button" className="btn" disabled={loading} onClick={() => void load(applied, cursor)}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </div>
  );
}
