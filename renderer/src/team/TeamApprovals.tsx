import { useCallback, useEffect, useState } from 'react';
import type { ApprovalSubject } from '../../../proxy/policy/guard/types';
import type { ApprovalDecisionBody, RoutedApproval } from '../../../proxy/sync/protocol';
import { Operation } from '../approvals/ApprovalCard';
import { factChips, timeLeft } from '../approvals/facts';
import { when } from '../format';
import { useNow } from '../ui/useNow';
import { TeamCallError } from './client';
import { useTeam } from './context';
import { useTeamLive } from './live';

/** How often the inbox is re-read (ms); the live stream also triggers a re-read. */
const POLL_MS = 3_000;

/** The routed request's `what` as the local approval subject, when it has that shape (it is what engines send). */
export function subjectOf(what: unknown): ApprovalSubject | null {
  if (!what || typeof what !== 'object') return null;
  const s = what as Partial<ApprovalSubject>;
  if (typeof s.text !== 'string' || typeof s.kind !== 'string') return null;
  if (s.kind === 'file' && s.facts?.kind !== 'file') return null;
  return s as ApprovalSubject;
}

/** Who asked: name, else email, else subject. */
function requesterLabel(approval: RoutedApproval): string {
  return approval.requester.name ?? approval.requester.email ?? approval.requester.subject;
}

/** One routed approval waiting for this person: what, who, where, time left, and the decision buttons. */
export function RoutedApprovalCard({
  approval,
  selected,
  onDecide,
}: {
  approval: RoutedApproval;
  selected: boolean;
  onDecide: (body: ApprovalDecisionBody) => Promise<void>;
}) {
  const now = useNow(1000, true);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const subject = subjectOf(approval.what);
  const decide = (body: ApprovalDecisionBody) => {
    setBusy(true);
    setError(null);
    onDecide(body).catch((failure: Error) => {
      setError(failure.message);
      setBusy(false);
    });
  };
  return (
    <article
      className={`approval-card${selected ? ' selected' : ''}`}
      data-testid="routed-approval"
      data-id={approval.id}
    >
      <header className="approval-head">
        <strong>{requesterLabel(approval)}</strong>
        <span className="faint"> asks the group </span>
        <span className="badge">{approval.group}</span>
        <span className="faint small"> · rule {approval.rule_id}</span>
        <span className="spacer" />
        <span className="small" data-testid="time-left">
          {timeLeft(approval.expires_at, now)}
        </span>
      </header>
      {subject ? (
        <>
          <Operation subject={subject} />
          <div className="chips small">
            {factChips(subject.facts).map((chip) => (
              <span key={chip} className="chip">
                {chip}
              </span>
            ))}
          </div>
        </>
      ) : (
        <pre className="code mono">{JSON.stringify(approval.what, null, 2)}</pre>
      )}
      <div className="facts small faint">
        <span>
          session <a href={`/s/${approval.session_id}`}>{approval.session_id}</a> · seq {approval.request_seq}
        </span>
        <span>asked {when(approval.requested_at)}</span>
        {approval.allow_self_approval ? <span>self-approval allowed</span> : null}
      </div>
      <div className="decide">
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy}
          onClick={() => decide({ decision: 'approved', scope: 'once' })}
        >
          Approve once
        </button>
        <button
          type="button"
          className="btn"
          disabled={busy}
          onClick={() => decide({ decision: 'approved', scope: 'session' })}
        >
          Approve for this session
        </button>
        <input
          aria-label="Reason for denying"
          placeholder="Reason (needed to deny)"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        <button
          type="button"
          className="btn"
          disabled={busy || reason.trim() === ''}
          onClick={() => decide({ decision: 'denied', reason: reason.trim() })}
        >
          Deny
        </button>
      </div>
      {error ? <div className="error-text small">{error}</div> : null}
    </article>
  );
}

/**
 * The approvals inbox on the team server: requests routed to the groups this person approves for, pending
 * ones only (`GET /v1/approvals?status=pending`), re-read every 3 s and on the live stream's approval messages;
 * a decision (`POST /v1/approvals/:id/decision`) is signed by the server with the person's verified identity.
 */
export function TeamApprovals({
  selectedId,
  onSelect,
}: {
  selectedId: string | null;
  onSelect: (id: string) => void;
}) {
  const { client, me, signedOut } = useTeam();
  const [approvals, setApprovals] = useState<RoutedApproval[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [decided, setDecided] = useState<string[]>([]);
  const refresh = useCallback(() => {
    client.pendingApprovals().then(
      (list) => {
        setApprovals(list);
        setError(null);
      },
      (failure: unknown) => {
        if (failure instanceof TeamCallError && failure.status === 401) signedOut();
        setError((failure as Error).message);
      },
    );
  }, [client, signedOut]);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [refresh]);
  useTeamLive((message) => {
    if (message.type === 'approval') refresh();
  });
  const decide = async (approval: RoutedApproval, body: ApprovalDecisionBody) => {
    await client.decide(approval.id, body);
    setDecided((d) => d.concat(`${approval.id}: ${body.decision}`));
    refresh();
  };
  return (
    <div className="team-approvals">
      <h2>Approvals routed to {me.approver_groups.join(', ') || 'your groups'}</h2>
      {error ? <div className="error-text">Could not load approvals: {error}</div> : null}
      {decided.length > 0 ? (
        <div className="faint small" data-testid="decided">
          Decided here: {decided.join(' · ')}
        </div>
      ) : null}
      {approvals === null ? (
        <div className="page-message faint">Loading…</div>
      ) : approvals.length === 0 ? (
        <div className="page-message faint" data-testid="no-approvals">
          Nothing waits for your decision.
        </div>
      ) : (
        approvals.map((approval) => (
          // biome-ignore lint/a11y/noStaticElementInteractions: the card's own buttons are the controls
          <div key={approval.id} onFocus={() => onSelect(approval.id)}>
            <RoutedApprovalCard
              approval={approval}
              selected={approval.id === selectedId}
              onDecide={(body) => decide(approval, body)}
            />
          </div>
        ))
      )}
    </div>
  );
}
