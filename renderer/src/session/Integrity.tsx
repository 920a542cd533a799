import { useEffect, useState } from 'react';
import type { ExportFormat, Session, VerifyResponse } from '../../../proxy/api/types';
import { useApi } from '../api/context';
import { counted } from '../format';

/**
 * The hash-chain verdict of a session (recomputed by the engine): "chain intact" or "broken at seq N".
 * Re-checked when the session's head moves while it is closed. Asked for only once `ready` (the events have
 * loaded): recomputing a long chain keeps the engine busy, and the first rows come first.
 */
export function IntegrityBadge({ session, ready }: { session: Session; ready: boolean }) {
  const api = useApi();
  const [verdict, setVerdict] = useState<VerifyResponse | { error: string } | null>(null);
  const key = session.status === 'live' ? 'live' : session.head_hash;
  useEffect(() => {
    if (!ready) return;
    let alive = true;
    api
      .verify(session.id)
      .then((v) => alive && setVerdict(v))
      .catch((error: Error) => alive && setVerdict({ error: error.message }));
    return () => {
      alive = false;
    };
  }, [api, session.id, key, ready]);
  if (!verdict) return <span className="badge">verifying…</span>;
  if ('error' in verdict) return <span className="badge badge-warn">not verified: {verdict.error}</span>;
  return verdict.intact ? (
    <span className="badge badge-ok" data-testid="integrity" title={`head ${verdict.head_hash}`}>
      ✓ chain intact · {counted(verdict.events, 'event')}
    </span>
  ) : (
    <span className="badge badge-err" data-testid="integrity" title={verdict.reason}>
      ✗ chain broken at seq {verdict.broken_at_seq}
    </span>
  );
}

/** Export buttons: JSON Lines always, HAR for HTTP sessions, a replayable SQL script for PostgreSQL. */
export function ExportButtons({ session }: { session: Session }) {
  const api = useApi();
  const [status, setStatus] = useState<string | null>(null);
  const formats: ExportFormat[] = session.kind === 'postgres' ? ['jsonl', 'sql'] : ['jsonl', 'har'];
  const run = (format: ExportFormat) => {
    setStatus(`exporting ${format}…`);
    api
      .download(session.id, format)
      .then((name) => setStatus(`saved ${name}`))
      .catch((error: Error) => setStatus(`export failed: ${error.message}`));
  };
  return (
    <span className="exports">
      <span className="faint small">Export</span>
      {formats.map((format) => (
        <button key={format} type="button" className="btn" onClick={() => run(format)}>
          {format.toUpperCase()}
        </button>
      ))}
      {status ? <span className="faint small">{status}</span> : null}
    </span>
  );
}
