import { useCallback, useEffect, useState } from 'react';
import type { RecordingResponse } from '../../proxy/api/types';
import type { ApiClient } from './api/client';
import { useLiveMessages } from './api/live';

/**
 * The top bar's pause control: pauses recording (traffic keeps flowing, unrecorded, and the banner says so)
 * or resumes it, through POST /api/recording with `via: dashboard`, as the tray does. The state is read when
 * mounted, after each click, on reconnecting, and whenever a live change concerns the engine's own
 * `glassbox` sessions (each pause is one), so a pause from the tray or the banner shows here too.
 */
export function RecordingToggle({ client }: { client: ApiClient }) {
  const [state, setState] = useState<RecordingResponse | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const refresh = useCallback(() => {
    client.recording().then(setState, () => undefined);
  }, [client]);
  useEffect(refresh, [refresh]);
  useLiveMessages((message) => {
    if (message.type === 'hello' || (message.type === 'session' && message.session.target === 'glassbox'))
      refresh();
  });
  if (!state) return null;
  const flip = () => {
    setBusy(true);
    client.setRecording(!state.recording).then(
      (next) => {
        setState(next);
        setFailure(null);
        setBusy(false);
      },
      (error: Error) => {
        setFailure(error.message);
        setBusy(false);
      },
    );
  };
  const title = failure
    ? `Could not change recording: ${failure}`
    : state.recording
      ? 'Pause recording: traffic keeps flowing through Glassbox but is not recorded until you resume'
      : state.message;
  return (
    <button
      type="button"
      className={`btn recording-toggle${state.recording ? '' : ' on'}`}
      data-testid="recording-toggle"
      onClick={flip}
      disabled={busy}
      title={title}
    >
      {state.recording ? 'Pause recording' : 'Resume recording'}
    </button>
  );
}
