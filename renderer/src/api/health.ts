import { useCallback, useEffect, useState } from 'react';
import type { StoreHealth, UpstreamStatus } from '../../../proxy/api/types';
import type { ApiClient } from './client';
import { useLiveMessages } from './live';

/** How often the engine's health is re-read besides live changes, ms. */
const POLL_MS = 5_000;

/** The Anthropic proxy's upstream and whether it answers. */
export interface UpstreamView {
  upstream: string;
  status: UpstreamStatus;
}

/** What the banners show of the engine's health; null until first read. */
export interface HealthView {
  upstream: UpstreamView | null;
  store: StoreHealth | null;
}

/**
 * The engine's health as the banners need it: read from GET /api/health when mounted and every 5 s, and
 * updated at once by the `upstream` and `store` live messages (sent when an upstream starts failing or
 * answers again, and when the store stops or resumes taking writes).
 */
export function useHealth(client: ApiClient): HealthView {
  const [view, setView] = useState<HealthView>({ upstream: null, store: null });
  const refresh = useCallback(() => {
    client.health().then(
      ({ proxies, store }) =>
        setView({
          upstream: { upstream: proxies.anthropic.upstream, status: proxies.anthropic.status },
          store: store ?? null,
        }),
      () => undefined,
    );
  }, [client]);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [refresh]);
  useLiveMessages((message) => {
    if (message.type === 'upstream') {
      const upstream = { upstream: message.upstream, status: message.status };
      setView((current) => ({ ...current, upstream }));
    }
    if (message.type === 'store') setView((current) => ({ ...current, store: message.store }));
  });
  return view;
}
