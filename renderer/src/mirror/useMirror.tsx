import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import type { LiveMessage } from '../../../proxy/api/types';
import type { MirrorStatus } from '../../../proxy/sync/types';
import type { ApiClient } from '../api/client';
import { useLiveMessages } from '../api/live';

/** The mirror's status as the dashboard knows it; null until GET /api/team answers (or without a team route). */
const MirrorContext = createContext<MirrorStatus | null>(null);

/**
 * Keeps the mirror's status for everything below: GET /api/team when mounted and whenever the live feed
 * (re)connects (its `hello`), and each live `team` message as it comes. Must sit inside the LiveContext.
 */
export function MirrorProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  const [status, setStatus] = useState<MirrorStatus | null>(null);
  const load = useCallback(() => {
    client.team().then(setStatus, () => undefined);
  }, [client]);
  useEffect(load, [load]);
  useLiveMessages((message: LiveMessage) => {
    if (message.type === 'hello') load();
    if (message.type === 'team') setStatus(message.status);
  });
  return <MirrorContext.Provider value={status}>{children}</MirrorContext.Provider>;
}

/** The mirror's status from the nearest {@link MirrorProvider} (null outside one: nothing is shown). */
export function useMirrorStatus(): MirrorStatus | null {
  return useContext(MirrorContext);
}
