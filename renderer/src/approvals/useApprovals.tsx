import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { Approval } from '../../../proxy/api/types';
import type { ApiClient } from '../api/client';
import { useLiveMessages } from '../api/live';
import { mergeApprovals, pendingCount, upsertApproval } from './facts';

/** Approvals the inbox holds at most (pending first, so a long decided history never hides a pending one). */
const LIMIT = 500;

/** The approvals the dashboard knows, kept current from /api/live; shared by the header badge and the inbox. */
export interface ApprovalsState {
  /** In inbox order: pending first, newest first, then decided ones. */
  approvals: Approval[];
  /** How many are pending now. */
  pending: number;
  loaded: boolean;
  error: string | null;
  /** The engine's clock minus this page's, µs: "time left" is counted on the engine's clock. */
  offsetUs: number;
  /** Puts an approval as an API call answered it (a decision, or one opened by its id). */
  put: (approval: Approval) => void;
}

/** What the root provides; outside it, an empty inbox. */
export const ApprovalsContext = createContext<ApprovalsState>({
  approvals: [],
  pending: 0,
  loaded: false,
  error: null,
  offsetUs: 0,
  put: () => undefined,
});

/** Provides the dashboard's approvals to `children`; mounted once, inside the live feed's provider. */
export function ApprovalsProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  const state = useApprovalsRoot(client);
  return <ApprovalsContext.Provider value={state}>{children}</ApprovalsContext.Provider>;
}

/** The approvals of the running dashboard (see {@link ApprovalsProvider}). */
export function useApprovals(): ApprovalsState {
  return useContext(ApprovalsContext);
}

/**
 * Loads GET /api/approvals?all=1 when mounted and on every (re)connection of the live feed, and applies each
 * `approval` live message in place: a new request appears at once, a decision, expiry or withdrawal
 * replaces it.
 */
function useApprovalsRoot(client: ApiClient): ApprovalsState {
  const [approvals, setApprovals] = useState<Approval[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [offsetUs, setOffsetUs] = useState(0);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  const load = useCallback(() => {
    client.approvals(true, LIMIT).then(
      (answer) => {
        if (!alive.current) return;
        setOffsetUs(answer.now - Date.now() * 1000);
        // Live messages that came while the list was on its way are newer: merge, never replace.
        setApprovals((current) => mergeApprovals(current, answer.approvals));
        setLoaded(true);
        setError(null);
      },
      (failure: Error) => alive.current && setError(failure.message),
    );
  }, [client]);
  useEffect(load, [load]);
  useLiveMessages((message) => {
    if (message.type === 'approval') setApprovals((list) => upsertApproval(list, message.approval));
    else if (message.type === 'hello') load();
  });
  const put = useCallback((approval: Approval) => setApprovals((list) => upsertApproval(list, approval)), []);
  return useMemo(
    () => ({ approvals, pending: pendingCount(approvals), loaded, error, offsetUs, put }),
    [approvals, loaded, error, offsetUs, put],
  );
}
