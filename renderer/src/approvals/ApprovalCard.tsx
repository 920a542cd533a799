import { memo, useEffect, useRef, useState } from 'react';
import type { Approval } from '../../../proxy/api/types';
import { clock, when } from '../format';
import { Sql } from '../postgres/Sql';
import { RouteLink } from '../ui/nav';
import { estimateText, factChips, requester, scopeText, timeLeft } from './facts';

/** What the approver asks for: this operation once, the same rule in the session for 15 minutes, or a denial. */
export type ApprovalDecision = { approve: 'once' | 'session' } | { deny: string };

/** The operation as the approver reads it: SQL highlighted, a command line as text, a file tool's paths. */
export function Operation({ subject }: { subject: Approval['subject'] }) {
  if (subject.kind === 'sql') return <Sql text={subject.text.trim()} />;
  if (subject.kind === 'file' && subject.facts.kind === 'file') {
    const paths = Array.isArray(subject.facts.file.paths) ? subject.facts.file.paths : [];
    return (
      <div className="code operation" data-testid="operation">
        <div>{subject.facts.file.tool} writes</div>
        <ul className="paths mono">
          {paths.map((path) => (
            <li key={path}>{path}</li>
          ))}
        </ul>
      </div>
    );
  }
  return (
    <pre className="code operation mono" data-testid="operation">
      {subject.kind === 'bash' ? `$ ${subject.text}` : subject.text}
    </pre>
  );
}

/** A decided approval in one line: how it ended, who decided, when, for what, and why. */
function Decision({ approval }: { approval: Approval }) {
  const by = approval.decided_by;
  const who = by ? (by.os_user ?? by.email ?? by.subject ?? 'someone') : null;
  const scope = approval.status === 'approved' ? scopeText(approval.scope, clock) : null;
  return (
    <div className={`decision decision-${approval.status}`} data-testid="decision">
      <strong>{approval.status}</strong>
      {who ? (
        <>
          {' by '}
          <span data-testid="decided-by">{who}</span>
          {by?.via ? <span className="faint"> via {by.via}</span> : null}
        </>
      ) : null}
      {approval.decided_at ? <span className="faint"> at {when(approval.decided_at)}</span> : null}
      {scope ? <span> · {scope}</span> : null}
      {by?.self_approved ? (
        <span className="badge badge-warn" data-testid="self-approved">
          self-approved
        </span>
      ) : null}
      {approval.reason ? <div data-testid="decision-reason">“{approval.reason}”</div> : null}
    </div>
  );
}

/** Approve / Approve for 15 min / Deny with a required reason, for a pending approval. */
function Actions({
  approval,
  busy,
  primary,
  reasonFocus,
  onDecide,
}: {
  approval: Approval;
  busy: boolean;
  primary: boolean;
  reasonFocus: number;
  onDecide: (decision: ApprovalDecision) => void;
}) {
  const [reason, setReason] = useState('');
  const input = useRef<HTMLInputElement>(null);
  // Focused only when the request is new (a larger number), not when a card is merely selected again.
  const handled = useRef(reasonFocus);
  useEffect(() => {
    if (reasonFocus > handled.current) {
      handled.current = reasonFocus;
      input.current?.focus();
    }
  }, [reasonFocus]);
  const deny = () => {
    if (reason.trim()) onDecide({ deny: reason.trim() });
    else input.current?.focus();
  };
  return (
    <div className="approval-actions">
      <button
        type="button"
        className={`btn${primary ? ' btn-primary' : ''}`}
        disabled={busy}
        onClick={() => onDecide({ approve: 'once' })}
        data-testid="approve-once"
        title="approve this operation once (a)"
      >
        Approve once
      </button>
      <button
        type="button"
        className="btn"
        disabled={busy}
        onClick={() => onDecide({ approve: 'session' })}
        data-testid="approve-session"
        title={`approve rule ${approval.subject.rule.id} in this session for 15 minutes`}
      >
        Approve for 15 min
      </button>
      <span className="spacer" />
      <input
        ref={input}
        className="input deny-reason"
        placeholder="Reason for denying (required)"
        aria-label={`reason for denying ${approval.id}`}
        value={reason}
        maxLength={2_000}
        onChange={(event) => setReason(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter') deny();
        }}
        data-testid="deny-reason"
      />
      <button
        type="button"
        className="btn btn-deny"
        disabled={busy || reason.trim() === ''}
        onClick={deny}
        data-testid="deny"
        title="deny, telling the requester why (d)"
      >
        Deny
      </button>
    </div>
  );
}

/** Props of {@link ApprovalCard}. */
export interface ApprovalCardProps {
  approval: Approval;
  /** The engine's clock now, µs since epoch (time left ticks against it). */
  nowUs: number;
  selected: boolean;
  /** A decision of this approval is on its way. */
  busy: boolean;
  /** Why the last decision failed (e.g. 409: it was decided or expired meanwhile). */
  error: string | null;
  /** Increases each time `d` asks for this card's reason box (focused then); 0 when it never did. */
  reasonFocus: number;
  onSelect: (id: string) => void;
  onDecide: (approval: Approval, decision: ApprovalDecision) => void;
}

/**
 * One approval of the inbox: status and time left, the facts as chips, the rule and its message, the
 * operation, the planner's estimate and the driving prompt, who asked from where with a link to the
 * session; then the actions (pending) or the decision (decided).
 */
export const ApprovalCard = memo(function ApprovalCard(props: ApprovalCardProps) {
  const { approval, nowUs, selected } = props;
  const { subject } = approval;
  const pending = approval.status === 'pending';
  const estimate = estimateText(subject.context);
  // Routed to a team server group: its approvers decide it, here only when the rule allows self-approval.
  const route = subject.rule.route;
  const decidableHere = !route || route.allowSelfApproval;
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the inbox's keys (arrows, j/k) select; a click is a shortcut
    <article
      className={`approval approval-${approval.status}${selected ? ' selected' : ''}`}
      data-testid="approval"
      data-id={approval.id}
      data-status={approval.status}
      aria-current={selected ? 'true' : undefined}
      onClick={(event) => {
        // A click on a link, button or the reason box does its own thing (a link leaves the inbox).
        if (!(event.target as Element).closest('a, button, input')) props.onSelect(approval.id);
      }}
    >
      <div className="approval-head">
        <span className={`status status-${approval.status}`}>
          <i className="dot" />
          {approval.status === 'pending' ? 'waiting' : approval.status}
        </span>
        <span className="mono">{approval.id}</span>
        <span className="faint">
          rule <span className="mono">{subject.rule.id}</span>
        </span>
        <span className="spacer" />
        {pending ? (
          <span
            className="time-left mono"
            data-testid="time-left"
            title={`expires ${clock(approval.expires_at)}`}
          >
            {timeLeft(approval.expires_at, nowUs)}
          </span>
        ) : (
          <span className="faint small">asked {when(approval.requested_at)}</span>
        )}
      </div>
      <div className="chips" data-testid="chips">
        {factChips(subject.facts).map((chip) => (
          <span key={chip} className="chip">
            {chip}
          </span>
        ))}
      </div>
      <div className="approval-message" data-testid="rule-message">
        {subject.rule.message}
      </div>
      <Operation subject={subject} />
      {estimate ? (
        <div className="approval-estimate" data-testid="estimate">
          {estimate}
        </div>
      ) : null}
      {subject.context?.prompt ? (
        <blockquote className="approval-prompt" data-testid="prompt">
          <span className="faint small">
            The Claude session driving it
            {subject.context.prompt_session_id ? (
              <>
                {' ('}
                <RouteLink to={`/s/${subject.context.prompt_session_id}`} testId="prompt-session">
                  open
                </RouteLink>
                {')'}
              </>
            ) : null}{' '}
            was last asked:
          </span>
          <div>{subject.context.prompt}</div>
        </blockquote>
      ) : null}
      <div className="facts small" data-testid="requester">
        <span>{requester(subject)}</span>
        <span>{subject.client ?? 'unknown client'}</span>
        {subject.target ? <span className="mono">{subject.target}</span> : null}
        <RouteLink to={`/s/${subject.session_id}`} testId="session-link">
          session {subject.session_id.slice(-8)} #{subject.request_seq}
        </RouteLink>
        {pending ? <span className="faint">asked {when(approval.requested_at)}</span> : null}
      </div>
      {route ? (
        <div className="approval-routed small" data-testid="routed">
          Routed to group <span className="mono">{route.group}</span> on the team server: an approver of that
          group decides it{route.allowSelfApproval ? ' (the rule lets you decide it here too)' : ''}.
        </div>
      ) : null}
      {pending && !decidableHere ? null : pending ? (
        <Actions
          approval={approval}
          busy={props.busy}
          primary={selected}
          reasonFocus={props.reasonFocus}
          onDecide={(decision) => props.onDecide(approval, decision)}
        />
      ) : (
        <Decision approval={approval} />
      )}
      {props.error ? (
        <div className="error-text approval-error" role="alert" data-testid="approval-error">
          {props.error}
        </div>
      ) : null}
    </article>
  );
});
