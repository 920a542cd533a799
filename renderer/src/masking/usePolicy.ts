import { useCallback, useEffect, useRef, useState } from 'react';
import type { PolicyPreviewResponse, PolicyResponse } from '../../../proxy/api/types';
import { ApiCallError } from '../api/client';
import { useApi } from '../api/context';
import { useLiveMessages } from '../api/live';

/** The client of the engine's own sessions that hold `policy.changed` events (proxy/policy/policy-record.ts). */
const POLICY_CLIENT = 'glassbox-policy';

/**
 * The policy in force (GET /api/policy), read when mounted, on `refresh()`, on reconnecting, and whenever a
 * `policy.changed` session is recorded — so an edit of policy.json or an Apply elsewhere shows here too.
 */
export function usePolicy(): { policy: PolicyResponse | null; error: string | null; refresh: () => void } {
  const client = useApi();
  const [policy, setPolicy] = useState<PolicyResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    client.policy().then(
      (next) => {
        setPolicy(next);
        setError(null);
      },
      (failure: Error) => setError(failure.message),
    );
  }, [client]);
  useEffect(refresh, [refresh]);
  useLiveMessages((message) => {
    if (message.type === 'hello' || (message.type === 'session' && message.session.client === POLICY_CLIENT))
      refresh();
  });
  return { policy, error, refresh };
}

/** A draft as the editor holds it: its JSON parsed, or why it does not parse. */
export type ParsedDraft = { ok: true; value: unknown } | { ok: false; message: string };

/** Parses the editor's text as JSON (an empty editor is an empty document: the defaults). */
export function parseDraft(text: string): ParsedDraft {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** The draft preview: the sample text masked by the draft, or the draft's problems by field. */
export interface DraftCheck {
  result: PolicyPreviewResponse | null;
  /** Field problems of the draft (`path: message`), empty when it is valid. */
  issues: Array<{ path: string; message: string }>;
  /** A failure that is not the draft's (the engine did not answer, the text is too large). */
  error: string | null;
  pending: boolean;
}

/**
 * Validates the draft and masks `text` with it as the user types: one POST /api/policy/preview a quarter
 * second after the last change, an earlier call still running aborted.
 */
export function useDraftCheck(draft: ParsedDraft, text: string): DraftCheck {
  const client = useApi();
  const [check, setCheck] = useState<DraftCheck>({ result: null, issues: [], error: null, pending: true });
  const latest = useRef(0);
  const key = draft.ok ? JSON.stringify(draft.value) : null;
  useEffect(() => {
    if (key === null) return;
    const id = ++latest.current;
    const abort = new AbortController();
    setCheck((c) => ({ ...c, pending: true }));
    const timer = setTimeout(() => {
      client.previewPolicy({ draft: JSON.parse(key) as unknown, text }, abort.signal).then(
        (result) => {
          if (id === latest.current) setCheck({ result, issues: [], error: null, pending: false });
        },
        (failure: ApiCallError) => {
          if (id !== latest.current || abort.signal.aborted) return;
          if (failure instanceof ApiCallError && failure.code === 'invalid_policy')
            setCheck((c) => ({ ...c, issues: failure.details.issues ?? [], error: null, pending: false }));
          else setCheck((c) => ({ ...c, error: failure.message, pending: false }));
        },
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [client, key, text]);
  return check;
}
