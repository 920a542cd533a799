import { useCallback, useEffect, useState } from 'react';
import type { GlassboxDesktopApi } from '../../main/ipc-contract';
import type { RecordingResponse } from '../../proxy/api/types';
import type { ApiClient } from './api/client';
import { type UpstreamView, useHealth } from './api/health';
import { useLiveMessages } from './api/live';
import { clock, count } from './format';
import { StoreBanner } from './StoreBanner';

/** How often the recording state is re-read besides live changes, ms. */
const POLL_MS = 5_000;

/**
 * Says plainly, above everything, when traffic is flowing unrecorded (recording paused from the tray, the
 * dashboard or the API), when the upstream Anthropic API cannot be reached, and, in the desktop window, when
 * secrets are stored without the OS keychain. The recording state is read from GET /api/recording when
 * mounted, whenever a live change concerns the engine's own `glassbox` sessions (where pauses are
 * recorded), and every 5 s; the upstream's and the store's through {@link useHealth}.
 */
export function StatusBanner({ client, desktop }: { client: ApiClient; desktop?: GlassboxDesktopApi }) {
  const [recording, setRecording] = useState<RecordingResponse | null>(null);
  const [secretsWarning, setSecretsWarning] = useState<string | null>(null);
  const { upstream, store } = useHealth(client);
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
      {upstream?.status.state === 'failing' ? <UpstreamFailing {...upstream} /> : null}
      <StoreBanner store={store} />
      {secretsWarning ? (
        <div className="banner banner-warning" role="alert">
          {secretsWarning}
        </div>
      ) : null}
    </>
  );
}

/** The banner while the upstream Anthropic API cannot be reached: which, since when, why, how many failed. */
function UpstreamFailing({ upstream, status }: UpstreamView) {
  const failed = status.failed_requests;
  return (
    <div className="banner banner-warning" role="alert" data-testid="upstream-failing">
      <strong>Cannot reach the Anthropic API</strong>
      <span>
        at {upstream}
        {status.since !== null ? ` since ${clock(status.since)}` : ''}: {status.last_error}. Agents' requests
        get errors until it answers again ({count(failed)} {failed === 1 ? 'request' : 'requests'} failed so
        far).
      </span>
    </div>
  );
}
