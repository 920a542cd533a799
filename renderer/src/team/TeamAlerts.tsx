import { when } from '../format';
import { useTeam } from './context';
import { useTeamCall } from './useTeamCall';

const KIND_TEXT = {
  hash_conflict: 'hash conflict (a different event at a seq the server has)',
  bad_chain: 'broken chain in a batch',
  identity_mismatch: 'identity mismatch (recorded ≠ token)',
} as const;

/** Integrity alerts (auditors): newest first, each linking to its session. */
export function TeamAlerts({ onOpen }: { onOpen: (sessionId: string) => void }) {
  const { client } = useTeam();
  const alerts = useTeamCall(() => client.alerts(null, 100), 'alerts');
  if (!alerts) return <div className="page-message faint">Loading…</div>;
  if ('error' in alerts)
    return <div className="page-message error-text">Could not load alerts: {alerts.error}</div>;
  const list = alerts.value.alerts;
  return (
    <div className="team-alerts">
      <h2>Integrity alerts</h2>
      {list.length === 0 ? (
        <div className="page-message faint" data-testid="no-alerts">
          No integrity alerts: every mirrored chain verified.
        </div>
      ) : (
        <table className="team-table" data-testid="team-alerts">
          <thead>
            <tr>
              <th>When</th>
              <th>Kind</th>
              <th>Session</th>
              <th>Seq</th>
              <th>Reported by</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={a.id} data-testid="team-alert">
                <td>{when(a.created_at)}</td>
                <td>
                  <span className="badge badge-err">{KIND_TEXT[a.kind] ?? a.kind}</span>
                </td>
                <td className="mono">
                  <a
                    href={`/s/${a.session_id}`}
                    onClick={(e) => {
                      if (e.button !== 0 || e.metaKey || e.ctrlKey) return;
                      e.preventDefault();
                      onOpen(a.session_id);
                    }}
                  >
                    {a.session_id}
                  </a>
                </td>
                <td>{a.seq}</td>
                <td>{a.reporter.subject}</td>
                <td>
                  {a.reason}
                  {a.stored_hash && a.received_hash ? (
                    <div className="faint mono small">
                      stored {a.stored_hash.slice(0, 12)}… received {a.received_hash.slice(0, 12)}…
                    </div>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
