import { useState } from 'react';
import type { PolicyTryResponse } from '../../../proxy/api/types';
import { useApi } from '../api/context';
import { count, counted } from '../format';
import { MaskedText } from './MaskedText';
import type { ParsedDraft } from './usePolicy';
import { useRequest } from './useRequest';

/**
 * "Try on recordings": how many values in the newest N recorded sessions the draft would mask beyond the
 * policy in force, per detector, with examples shown masked; and what it would stop masking (counts only).
 */
export function TryRecordings({ draft, usable }: { draft: ParsedDraft; usable: boolean }) {
  const client = useApi();
  const [sessions, setSessions] = useState(20);
  const request = useRequest<PolicyTryResponse>();
  const { busy, result, failure } = request;
  const run = () => {
    if (!draft.ok) return;
    const value = draft.value;
    request.run(() => client.tryPolicy({ draft: value, sessions }));
  };
  return (
    <div className="preview-pane">
      <div className="preview-controls">
        <label className="small" htmlFor="try-sessions">
          Newest sessions
        </label>
        <input
          id="try-sessions"
          className="input try-sessions"
          type="number"
          min={1}
          max={200}
          value={sessions}
          onChange={(event) => setSessions(Math.min(200, Math.max(1, Number(event.target.value) || 1)))}
        />
        <button type="button" className="btn" data-testid="try-run" onClick={run} disabled={!usable || busy}>
          {busy ? 'Looking…' : 'Try on recordings'}
        </button>
        {!usable ? <span className="faint small">Fix the draft first.</span> : null}
      </div>
      {failure ? <p className="error-text small">{failure}</p> : null}
      {result ? (
        <div data-testid="try-result">
          <p className="small muted">
            Looked at {counted(result.sessions, 'session')}, {counted(result.events, 'event')} (
            {count(result.texts)} distinct texts)
            {result.truncated ? ', stopping at the size limit' : ''}.{' '}
            {result.additional.length === 0
              ? 'The draft masks nothing there that the policy in force leaves.'
              : `The draft would mask ${counted(
                  result.additional.reduce((n, a) => n + a.count, 0),
                  'more value',
                )}:`}
          </p>
          {result.additional.map((found) => (
            <section key={found.detector} className="try-detector" data-testid={`try-${found.detector}`}>
              <h4>
                <span className="mono">{found.detector}</span>{' '}
                <span className="muted">×{count(found.count)}</span>
              </h4>
              {found.examples.map((example, i) => (
                <MaskedText
                  key={i}
                  text={example.text}
                  highlights={[{ start: example.start, end: example.end, label: found.detector }]}
                />
              ))}
            </section>
          ))}
          {result.no_longer.length > 0 ? (
            <p className="small warn-text" data-testid="try-no-longer">
              No longer masked under the draft:{' '}
              {result.no_longer.map((n) => `${n.detector} ×${count(n.count)}`).join(', ')}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
