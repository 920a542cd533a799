import { useEffect, useState } from 'react';

/**
 * The current time in µs since epoch, re-read every `everyMs` while `ticking` (a live session's running
 * duration); when not ticking, the time of the last read.
 */
export function useNow(everyMs: number, ticking = true): number {
  const [now, setNow] = useState(() => Date.now() * 1000);
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now() * 1000);
    const timer = setInterval(() => setNow(Date.now() * 1000), everyMs);
    return () => clearInterval(timer);
  }, [everyMs, ticking]);
  return now;
}
