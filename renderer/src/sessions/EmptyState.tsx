import { useEffect, useState } from 'react';
import type { HealthResponse } from '../../../proxy/api/types';
import { useApi } from '../api/context';
import { CopyLine } from '../ui/CopyLine';

/** What a new user sees before anything is recorded: the one command to run next. */
export function EmptyState() {
  const api = useApi();
  const [health, setHealth] = useState<HealthResponse | null>(null);
  useEffect(() => {
    api.health().then(setHealth, () => undefined);
  }, [api]);
  const url = health?.proxies.anthropic.url ?? 'http://127.0.0.1:8787';
  return (
    <div className="empty" data-testid="empty-state">
      <h2>No sessions recorded yet</h2>
      <p>Point Claude Code or any Anthropic SDK program at Glassbox, in the shell you start it from:</p>
      <CopyLine text={`export ANTHROPIC_BASE_URL=${url}`} />
      <p className="faint">
        For PostgreSQL, add a connection with <code>glassbox pg add NAME --upstream postgres://…</code> and
        connect to the local URL <code>glassbox pg list</code> shows. Sessions appear here live.
      </p>
    </div>
  );
}
