import { useEffect, useRef, useState } from 'react';
import type { PolicyApplyResponse, PolicyResponse } from '../../../proxy/api/types';
import { useApi } from '../api/context';
import type { DraftCheck, ParsedDraft } from './usePolicy';

/** Where an editor opens: policy.json as written, else the parsed document in force (every field shown). */
export function initialDraft(policy: PolicyResponse): string {
  return policy.written ?? `${JSON.stringify(policy.document, null, 2)}\n`;
}

/**
 * The draft editor: policy.json's JSON in a text area, checked as you type (its JSON here, its fields by the
 * engine through the preview call), and Apply — after a confirmation — which writes policy.json through
 * PUT /api/policy from the version it started on.
 */
export function DraftEditor({
  policy,
  text,
  onText,
  parsed,
  check,
  onApplied,
}: {
  policy: PolicyResponse;
  text: string;
  onText: (text: string) => void;
  parsed: ParsedDraft;
  check: DraftCheck;
  onApplied: (answer: PolicyApplyResponse) => void;
}) {
  const client = useApi();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  // The confirmation takes the focus, so Enter confirms and Tab reaches Cancel.
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);
  const draftVersion =
    parsed.ok && check.issues.length === 0 && !check.pending ? check.result?.version : undefined;
  const valid = parsed.ok && check.issues.length === 0 && check.error === null;
  const same = draftVersion === policy.version;
  const apply = () => {
    if (!parsed.ok) return;
    setBusy(true);
    client.applyPolicy({ document: parsed.value, base_version: policy.version }).then(
      (answer) => {
        setBusy(false);
        setConfirming(false);
        setFailure(null);
        onApplied(answer);
      },
      (error: Error) => {
        setBusy(false);
        setConfirming(false);
        setFailure(error.message);
      },
    );
  };
  return (
    <section className="draft-editor">
      <div className="panel-head">
        <h2>Draft</h2>
        <span className="small" data-testid="draft-state">
          {!parsed.ok ? (
            <span className="error-text">not valid JSON</span>
          ) : check.issues.length > 0 ? (
            <span className="error-text">
              {check.issues.length} problem{check.issues.length === 1 ? '' : 's'}
            </span>
          ) : check.pending ? (
            <span className="faint">checking…</span>
          ) : same ? (
            <span className="faint">same as the policy in force</span>
          ) : draftVersion ? (
            <span className="ok-text">valid · would be version {draftVersion}</span>
          ) : null}
        </span>
        <span className="spacer" />
        <button type="button" className="btn" onClick={() => onText(initialDraft(policy))} disabled={busy}>
          Reset to policy in force
        </button>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="apply-draft"
          disabled={!valid || check.pending || same || busy || confirming}
          onClick={() => setConfirming(true)}
        >
          Apply…
        </button>
      </div>
      {confirming ? (
        <div className="confirm" role="alertdialog" aria-label="Apply the draft" data-testid="apply-confirm">
          <span>
            Write policy.json and put version <span className="mono">{draftVersion}</span> in force? The
            change is recorded (policy.changed) and applies to what is recorded from now on.
          </span>
          <button
            type="button"
            className="btn btn-primary"
            onClick={apply}
            disabled={busy}
            ref={confirmButton}
          >
            {busy ? 'Applying…' : 'Apply now'}
          </button>
          <button type="button" className="btn" onClick={() => setConfirming(false)} disabled={busy}>
            Cancel
          </button>
        </div>
      ) : null}
      {failure ? <p className="error-text small">Not applied: {failure}</p> : null}
      <textarea
        className="input draft-text mono"
        aria-label="Draft policy (policy.json)"
        data-testid="draft-text"
        spellCheck={false}
        value={text}
        onChange={(event) => onText(event.target.value)}
      />
      {!parsed.ok ? (
        <p className="error-text small" data-testid="draft-issue">
          JSON: {parsed.message}
        </p>
      ) : null}
      {check.issues.length > 0 ? (
        <ul className="issues small" data-testid="draft-issues">
          {check.issues.map((issue, i) => (
            <li key={i} data-testid="draft-issue">
              <span className="mono">{issue.path}</span>: {issue.message}
            </li>
          ))}
        </ul>
      ) : null}
      {check.error ? <p className="error-text small">Could not check the draft: {check.error}</p> : null}
    </section>
  );
}
