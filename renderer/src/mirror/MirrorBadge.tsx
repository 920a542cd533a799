import { mirrorHeaderView, type SessionMirrorView, sessionMirrorView } from './mirror';
import { useMirrorStatus } from './useMirror';

/** A session's mirror badge (a dot plus a word; the tooltip says more). Renders nothing for null. */
export function MirrorBadge({
  view,
  className = '',
}: {
  view: SessionMirrorView | null;
  className?: string;
}) {
  if (!view) return null;
  return (
    <span
      className={`mirror-badge mirror-${view.state} ${className}`.trim()}
      data-testid="mirror-badge"
      data-state={view.state}
      title={view.title}
    >
      <i className="dot" />
      {view.label}
    </span>
  );
}

/** The badge of one session from the mirror's status in context (the session page). */
export function SessionMirrorBadge({ sessionId }: { sessionId: string }) {
  return <MirrorBadge view={sessionMirrorView(useMirrorStatus(), sessionId)} />;
}

/** The header's overall mirror state ("Team: up to date"); nothing when no team server is configured. */
export function MirrorHeader() {
  const view = mirrorHeaderView(useMirrorStatus());
  if (!view) return null;
  return (
    <span className={`mirror-header mirror-tone-${view.tone}`} data-testid="mirror-header" title={view.title}>
      <i className="dot" />
      {view.label}
    </span>
  );
}
