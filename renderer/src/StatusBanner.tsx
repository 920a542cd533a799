import { useCallback, useEffect, useState } from 'react';
import type { GlassboxDesktopApi } from '../../main/ipc-contract';
import type { RecordingResponse } from '../../proxy/api/types';
import type { ApiClient } from './api/client';
import { useLiveMessages } from './api/live';
import { StoreBanner } from './StoreBanner';

/** How often the recording state is re-read besides live changes, ms. */
const POLL_MS = 5_000;

/**
 * Says plainly, above everything, when traffic is flowing unrecorded (recording paused from the tray, the
 * dashboard or the API) and, in the desktop window, when secrets are stored without the OS keychain. The
 * recording state is read from GET /api/recording when mounted, whenever a live change concerns the
 * engine's own `glassbox` sessions (where pauses are recorded), and every 5 s.
 */
export function StatusBanner({ client, desktop }: { client: ApiClient; desktop?: GlassboxDesktopApi }) {
  const [recording, setRecording] = useState<RecordingResponse | null>(null);
  const [secretsWarning, setSecretsWarning] = useState<string | null>(null);
  const refresh = useCallback(() => {
    client.recording().then(setRecording, () => undefined);
  }, [client]);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [refresh]);
  useLiveMessages((message) => {
    if (message.type === 'session' && message.session.target === 'glassbox') refresh();
  });
  useEffect(() => {
    if (!desktop) return;
    const show = (state: { secretsWarning: string | null }) => setSecretsWarning(state.secretsWarning);
    desktop.desktopState().then(show, () => undefined);
    return desktop.onDesktopState(show);
  }, [desktop]);
  const resume = () => {
    client.setRecording(true).then(setRecording, () => undefined);
  };
  return (
    <>
      {recording && !recording.recording ? (
        <div className="banner banner-paused" role="alert" data-testid="recording-paused">
          <strong>Not recording.</strong> <span>{recording.message}</span>
          <button type="button" className="banner-action" onClick={resume}>
            Resume recording
          </button>
        </div>
      ) : null}
      <StoreBanner client={client} />
      {secretsWarning ? (
        <div className="banner banner-warning" role="alert">
          {secretsWarning}
        </div>
      ) : null}
    </>
  );
}
