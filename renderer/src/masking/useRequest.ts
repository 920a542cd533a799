import { useCallback, useState } from 'react';

/** A request a view runs on demand: whether it is under way, its last answer, and why it last failed. */
export interface Request<T> {
  busy: boolean;
  result: T | null;
  failure: string | null;
  /** Runs `send`; its answer replaces the result (and clears the failure), its error becomes the failure. */
  run: (send: () => Promise<T>) => void;
  /** Sets the failure message directly (a request of the view's own that failed). */
  fail: (message: string) => void;
}

/** State for a request a view runs on demand (Try on recordings, a table preview). */
export function useRequest<T>(): Request<T> {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<T | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const run = useCallback((send: () => Promise<T>) => {
    setBusy(true);
    send().then(
      (answer) => {
        setResult(answer);
        setFailure(null);
        setBusy(false);
      },
      (error: Error) => {
        setFailure(error.message);
        setBusy(false);
      },
    );
  }, []);
  return { busy, result, failure, run, fail: setFailure };
}
