import * as Tabs from '@radix-ui/react-tabs';
import { useEffect, useMemo, useState } from 'react';
import type { PolicyApplyResponse } from '../../../proxy/api/types';
import { useKeys } from '../ui/keys';
import { DraftEditor, initialDraft } from './DraftEditor';
import { PolicyList } from './PolicyList';
import { TablePreview } from './TablePreview';
import { TextPreview } from './TextPreview';
import { TryRecordings } from './TryRecordings';
import { parseDraft, useDraftCheck, usePolicy } from './usePolicy';

const SAMPLE_TEXT = 'Type or paste text — a prompt, a .env file, a log line — to see the draft mask it';

/**
 * The masking view (issue 16, point 7): the policy in force as a readable list, a draft editor checked as
 * you type, and previews of the draft — on a typed text, on the newest recordings, on a PostgreSQL
 * connection's rows — before Apply puts it in force. Esc goes back to the sessions.
 */
export function MaskingView({ onBack }: { onBack: () => void }) {
  const { policy, error, refresh } = usePolicy();
  const [draftText, setDraftText] = useState<string | null>(null);
  const [sample, setSample] = useState('');
  const [applied, setApplied] = useState<PolicyApplyResponse | null>(null);
  const [shown, setShown] = useState<'force' | 'draft'>('force');
  // The editor opens on the policy in force, once; Reset reloads it.
  useEffect(() => {
    if (policy && draftText === null) setDraftText(initialDraft(policy));
  }, [policy, draftText]);
  const parsed = useMemo(() => parseDraft(draftText ?? ''), [draftText]);
  const check = useDraftCheck(draftText === null ? { ok: false, message: 'loading' } : parsed, sample);
  const usable = draftText !== null && parsed.ok && check.issues.length === 0 && check.result !== null;
  useKeys({ Escape: onBack });

  if (!policy) {
    return (
      <div className={`page-message ${error ? 'error-text' : 'faint'}`}>
        {error ? `Could not load the policy: ${error}` : 'Loading…'}
      </div>
    );
  }
  const listed = shown === 'draft' && usable && check.result ? check.result.effective : policy.effective;
  return (
    <div className="masking-view">
      <header className="session-head">
        <div className="title-row">
          <button type="button" className="btn btn-ghost" onClick={onBack} title="back (Esc)">
            ← Sessions
          </button>
          <h1 className="title">Masking</h1>
          <span className="badge" data-testid="policy-version" title="the effective policy's version">
            in force: <span className="mono">{policy.version}</span>
          </span>
          {applied && applied.version === policy.version ? (
            <span className="ok-text small" data-testid="policy-applied" role="status">
              {applied.message}
            </span>
          ) : null}
          {policy.refused ? (
            <span className="badge badge-err" data-testid="policy-refused" title={policy.refused}>
              policy.json refused: {policy.refused}
            </span>
          ) : null}
        </div>
        <div className="facts small">
          {policy.written === null
            ? 'No policy.json: the built-in default policy applies.'
            : 'From policy.json; edits there apply at once, as Apply here does.'}
        </div>
      </header>
      <div className="masking-body">
        <aside className="masking-policy">
          <div className="panel-head">
            <h2>Effective policy</h2>
            <span className="spacer" />
            <span className="seg">
              {(['force', 'draft'] as const).map((s) => (
                <button
                  key={s}
                  type="button"
                  aria-pressed={shown === s}
                  className={`btn${shown === s ? ' on' : ''}`}
                  onClick={() => setShown(s)}
                  disabled={s === 'draft' && !usable}
                >
                  {s === 'force' ? 'In force' : 'Draft'}
                </button>
              ))}
            </span>
          </div>
          <PolicyList policy={listed} />
        </aside>
        <div className="masking-work">
          <DraftEditor
            policy={policy}
            text={draftText ?? ''}
            onText={setDraftText}
            parsed={parsed}
            check={check}
            onApplied={(answer) => {
              setApplied(answer);
              refresh();
            }}
          />
          <Tabs.Root defaultValue="text" className="tabs masking-tabs">
            <Tabs.List className="tab-list" aria-label="Preview the draft">
              <Tabs.Trigger value="text" className="tab">
                Text
              </Tabs.Trigger>
              <Tabs.Trigger value="recordings" className="tab">
                Try on recordings
              </Tabs.Trigger>
              <Tabs.Trigger value="table" className="tab">
                PostgreSQL table
              </Tabs.Trigger>
            </Tabs.List>
            <Tabs.Content value="text">
              <TextPreview
                text={sample}
                onText={setSample}
                check={check}
                usable={usable}
                placeholder={SAMPLE_TEXT}
              />
            </Tabs.Content>
            <Tabs.Content value="recordings">
              <TryRecordings draft={parsed} usable={usable} />
            </Tabs.Content>
            <Tabs.Content value="table">
              <TablePreview draft={parsed} usable={usable} connections={policy.connections} />
            </Tabs.Content>
          </Tabs.Root>
        </div>
      </div>
    </div>
  );
}
