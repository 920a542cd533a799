import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Approval } from '../../../proxy/api/types';
import { ApiCallError } from '../api/client';
import { useApi } from '../api/context';
import { useKeys } from '../ui/keys';
import { useNow } from '../ui/useNow';
import { VirtualList } from '../ui/VirtualList';
import { ApprovalCard, type ApprovalDecision } from './ApprovalCard';
import { useApprovals } from './useApprovals';

/** How long "Approve for 15 min" lasts: the same rule in the same session, without asking again. */
const SESSION_FOR = '15m';

const estimate = (approval: Approval) => (approval.status === 'pending' ? 260 : 200);
const approvalKey = (approval: Approval) => approval.id;

/** The pending approval after `id` in inbox order (else the one before it), or undefined. */
export function nextPending(approvals: readonly Approval[], id: string): string | undefined {
  const at = approvals.findIndex((a) => a.id === id);
  const after = approvals.slice(at + 1).find((a) => a.status === 'pending' && a.id !== id);
  return (after ?? approvals.slice(0, Math.max(at, 0)).findLast((a) => a.status === 'pending'))?.id;
}

/** Why a decision failed, in words: a 409 says how the approval ended meanwhile. */
export function decisionError(error: unknown): string {
  if (error instanceof ApiCallError) {
    if (error.code === 'not_pending')
      return `Already decided: ${error.message}${error.status ? ` (HTTP ${error.status})` : ''}`;
    return `${error.message}${error.status ? ` (HTTP ${error.status} ${error.code})` : ''}`;
  }
  return (error as Error).message;
}

/**
 * The approvals inbox (issue 17, point 6): pending approvals first, newest first, then decided ones, live.
 * Keys: arrows or j/k select, `a` approves the selected one once, `d` goes to its deny reason (Enter
 * denies), Esc goes back. `selectedId` comes from the route (`/approvals/ap_…`, e.g. a clicked desktop
 * notification); `onSelect` puts the selection in the address.
 */
export function ApprovalsView({
  selectedId,
  onSelect,
  onBack,
}: {
  selectedId: string | null;
  onSelect: (id: string) => void;
  onBack: () => void;
}) {
  const client = useApi();
  const { approvals, pending, loaded, error, offsetUs, put } = useApprovals();
  const now = useNow(1000) + offsetUs;
  const [scrollElement, setScrollElement] = useState<HTMLDivElement | null>(null);
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [errors, setErrors] = useState<Readonly<Record<string, string>>>({});
  const [reasonFocus, setReasonFocus] = useState<{ id: string; n: number }>({ id: '', n: 0 });
  const found = selectedId === null ? -1 : approvals.findIndex((a) => a.id === selectedId);
  const index = found >= 0 ? found : approvals.length > 0 && selectedId === null ? 0 : found;
  const selected = index >= 0 ? approvals[index] : undefined;
  // What a decision's answer finds when it arrives (the list and selection may have moved meanwhile).
  const latest = useRef({ approvals, selectedId: selected?.id });
  latest.current = { approvals, selectedId: selected?.id };

  // An approval asked for by id that the list does not hold (older than the list, or typed differently).
  const [missing, setMissing] = useState<string | null>(null);
  useEffect(() => {
    if (!loaded || selectedId === null || found >= 0) return;
    client.approval(selectedId).then(
      ({ approval }) => {
        put(approval);
        if (approval.id !== selectedId) onSelect(approval.id);
      },
      (failure: Error) => setMissing(`${selectedId}: ${failure.message}`),
    );
  }, [client, loaded, selectedId, found, put, onSelect]);

  const decide = useCallback(
    (approval: Approval, decision: ApprovalDecision) => {
      const { id } = approval;
      setBusy((set) => new Set(set).add(id));
      setErrors(({ [id]: _, ...rest }) => rest);
      const call =
        'deny' in decision
          ? client.deny(id, { reason: decision.deny, via: 'dashboard' })
          : client.approve(
              id,
              decision.approve === 'session'
                ? { scope: 'session', for: SESSION_FOR, via: 'dashboard' }
                : { scope: 'once', via: 'dashboard' },
            );
      call
        .then(
          (answer) => {
            put(answer.approval);
            // The next one waiting gets the selection, so a queue is worked through with the keyboard.
            if (latest.current.selectedId === id) {
              const next = nextPending(latest.current.approvals, id);
              if (next) onSelect(next);
            }
          },
          (failure: unknown) => {
            setErrors((all) => ({ ...all, [id]: decisionError(failure) }));
            // Show how it ended meanwhile (the live feed may be down).
            client.approval(id).then(
              (answer) => put(answer.approval),
              () => undefined,
            );
          },
        )
        .finally(() =>
          setBusy((set) => {
            const next = new Set(set);
            next.delete(id);
            return next;
          }),
        );
    },
    [client, put, onSelect],
  );

  const move = (step: number) => {
    const next = approvals[Math.min(Math.max(index + step, 0), approvals.length - 1)];
    if (next) onSelect(next.id);
  };
  useKeys({
    ArrowDown: () => move(1),
    j: () => move(1),
    ArrowUp: () => move(-1),
    k: () => move(-1),
    a: () => {
      if (selected?.status === 'pending' && !busy.has(selected.id)) decide(selected, { approve: 'once' });
    },
    d: () => {
      if (selected?.status === 'pending') setReasonFocus((f) => ({ id: selected.id, n: f.n + 1 }));
    },
    Escape: onBack,
  });

  const render = useCallback(
    (approval: Approval) => (
      <ApprovalCard
        approval={approval}
        nowUs={now}
        selected={approval.id === selected?.id}
        busy={busy.has(approval.id)}
        error={errors[approval.id] ?? null}
        reasonFocus={reasonFocus.id === approval.id ? reasonFocus.n : 0}
        onSelect={onSelect}
        onDecide={decide}
      />
    ),
    [now, selected?.id, busy, errors, reasonFocus, onSelect, decide],
  );
  const decided = useMemo(() => approvals.length - pending, [approvals.length, pending]);

  return (
    <div className="approvals-view">
      <header className="session-head">
        <div className="title-row">
          <button type="button" className="btn btn-ghost" onClick={onBack} title="back (Esc)">
            ← Sessions
          </button>
          <h1 className="title">Approvals</h1>
          <span className="badge" data-testid="approvals-pending">
            {pending} pending
          </span>
          <span className="faint small">{decided} decided</span>
          <span className="spacer" />
          <span className="faint small keys-hint">↑/↓ select · a approve once · d deny · Esc back</span>
        </div>
      </header>
      <div className="scroll" ref={setScrollElement} data-testid="approvals-scroll">
        {error ? <div className="page-message error-text">Could not load approvals: {error}</div> : null}
        {missing ? <div className="page-message error-text">{missing}</div> : null}
        {approvals.length === 0 ? (
          <div className="page-message faint" data-testid="approvals-empty">
            {loaded
              ? 'Nothing waits for an approval. Operations that a guardrail rule holds (action "approve") appear here at once.'
              : 'Loading…'}
          </div>
        ) : (
          <VirtualList
            items={approvals}
            scrollElement={scrollElement}
            estimate={estimate}
            itemKey={approvalKey}
            render={render}
            focusIndex={index >= 0 ? index : null}
            className="approvals"
          />
        )}
      </div>
    </div>
  );
}
