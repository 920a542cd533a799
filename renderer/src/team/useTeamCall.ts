import { useEffect, useState } from 'react';
import { TeamCallError } from './client';
import { useTeam } from './context';

/** A read's state: the value, or why it failed; null while loading. */
export type Loaded<T> = { value: T } | { error: string } | null;

/**
 * Runs `read` when mounted and whenever `key` changes (keeping the last value meanwhile); a 401 ends the sign-in (the page shows its sign-in
 * again). The latest call wins.
 */
export function useTeamCall<T>(read: () => Promise<T>, key: string): Loaded<T> {
  const { signedOut } = useTeam();
  const [state, setState] = useState<Loaded<T>>(null);
  useEffect(() => {
    // The previous value stays shown until the new one arrives (a live refresh must not blank the page).
    let alive = true;
    read().then(
      (value) => alive && setState({ value }),
      (error: unknown) => {
        if (!alive) return;
        if (error instanceof TeamCallError && error.status === 401) signedOut();
        setState({ error: (error as Error).message });
      },
    );
    return () => {
      alive = false;
    };
  }, [key, signedOut]);
  return state;
}
