import { createContext, useContext } from 'react';
import type { ApiClient } from './client';

/** The API client of the running dashboard, provided at the root. */
export const ApiContext = createContext<ApiClient | null>(null);

/** The API client; throws outside an {@link ApiContext} provider (a programming error). */
export function useApi(): ApiClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi outside ApiContext');
  return client;
}
