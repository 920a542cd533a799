import { useCallback, useEffect, useState } from 'react';
import type { StoreHealth } from '../../proxy/api/types';
import type { ApiClient } from './api/client';
import { useLiveMessages } from './api/live';

/** How often the store's health is re-read besides live changes, ms. */
const POLL_MS = 5_000;

/**
 * Says plainly, above everything, when the engine cannot record (GET /api/health's `store`: a full disk) —
 * so clients are being refused — and since when; it goes away by itself once recording resumes. Read when
 * mounted, on every live `store` message, and every 5 s.
 */
export function StoreBanner({ client }: { client: ApiClient }) {
  const [store, setStore] = useState<StoreHealth | null>(null);
  const refresh = useCallback(() => {
    client.health().then(
      (health) => setStore(health.store ?? null),
      () => undefined,
    );
  }, [client]);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [refresh]);
  useLiveMessages((message) => {
    if (message.type === 'store') setStore(message.store);
  });
  if (!store || store.ok) return null;
  const since = store.since ? new Date(store.since / 1000).toLocaleTimeString() : null;
  return (
    <div className="banner banner-store" role="alert" data-testid="store-failing">
      <strong>Not recording{since ? ` since ${since}` : ''}:</strong>{' '}
      <span>
        {store.error}. Requests and statements are refused until this is fixed; recording resumes by itself.
      </span>
    </div>
  );
}
