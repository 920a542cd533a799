import type { DetectorView, PolicyView } from '../../../proxy/api/types';

type Action = PolicyView['detectors'][number]['action'] | PolicyView['columns'][number]['action'];

/** An action as people read it: `redact`, `partial (last 4)`, `hash`, `null`, `none`. */
export function actionLabel(action: Action): string {
  return action.type === 'partial' ? `partial (last ${action.keep})` : action.type;
}

const GROUPS: Array<{ category: DetectorView['category']; title: string }> = [
  { category: 'secret', title: 'Secrets' },
  { category: 'pii', title: 'Personal data' },
  { category: 'custom', title: 'Custom patterns' },
];

function DetectorRow({ detector }: { detector: DetectorView }) {
  return (
    <li className="policy-row" data-testid={`detector-${detector.id}`}>
      <span className={`status ${detector.enabled ? 'status-on' : 'status-off'}`}>
        <i className="dot" />
        {detector.enabled ? 'on' : 'off'}
      </span>
      <span className="policy-main">
        <span className="mono">{detector.id}</span>
        <span className="faint small"> {detector.description}</span>
      </span>
      <span className="small">
        {detector.enabled ? actionLabel(detector.action) : ''}
        {detector.outbound ? <span className="badge">outbound</span> : null}
        <SourceBadge source={detector.source} />
      </span>
    </li>
  );
}

/** `team` on what the team policy decides (a local rule cannot weaken it); nothing otherwise. */
function SourceBadge({ source }: { source: 'team' | 'local' | 'default' | undefined }) {
  return source === 'team' ? (
    <span className="badge" title="From the team policy: policy.json may add to it, never weaken it">
      team
    </span>
  ) : null;
}

/**
 * A policy as a readable list: detectors on or off with their action, grouped secrets / personal data /
 * custom; PostgreSQL column rules; the sensitive-column dictionary; outbound masking.
 */
export function PolicyList({ policy }: { policy: PolicyView }) {
  return (
    <div className="policy-list" data-testid="policy-list">
      {policy.team ? (
        <p className="small" data-testid="policy-team">
          The team policy (version {policy.team.version}) applies on top of this one: rules marked{' '}
          <span className="badge">team</span> come from it, and policy.json can add to them but not weaken
          them.
        </p>
      ) : null}
      {GROUPS.map(({ category, title }) => {
        const detectors = policy.detectors.filter((d) => d.category === category);
        return (
          <section key={category}>
            <h3>
              {title} <span className="faint small">{detectors.filter((d) => d.enabled).length} on</span>
            </h3>
            {detectors.length === 0 ? (
              <p className="faint small">None. Add them under "custom" in the draft.</p>
            ) : (
              <ul>
                {detectors.map((d) => (
                  <DetectorRow key={d.id} detector={d} />
                ))}
              </ul>
            )}
          </section>
        );
      })}
      <section>
        <h3>PostgreSQL column rules</h3>
        {policy.columns.length === 0 ? (
          <p className="faint small">None: only the dictionary below applies to result columns.</p>
        ) : (
          <ul>
            {policy.columns.map((rule, i) => (
              <li key={`${i}-${rule.rule}`} className="policy-row">
                <span className="policy-main mono">
                  {rule.match}
                  {rule.connection ? <span className="faint"> on {rule.connection}</span> : null}
                </span>
                <span className="small">
                  {actionLabel(rule.action)} · {rule.wire ? 'wire and storage' : 'storage'}
                  <SourceBadge source={rule.source} />
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h3>Sensitive column names</h3>
        {policy.sensitiveColumns.enabled ? (
          <>
            <p className="small">
              {actionLabel(policy.sensitiveColumns.action)} ·{' '}
              {policy.sensitiveColumns.wire ? 'wire and storage' : 'storage only'}
            </p>
            <p className="mono small dictionary">{policy.sensitiveColumns.names.join(', ')}</p>
          </>
        ) : (
          <p className="small faint">Off: column names alone mask nothing.</p>
        )}
      </section>
      <section>
        <h3>Outbound to the Anthropic API</h3>
        <p className="small" data-testid="policy-outbound">
          {policy.outbound.enabled
            ? `On: ${policy.outbound.detectors.join(', ') || 'no detector'} replaced before a request leaves`
            : 'Off: requests leave as the agent sent them (they are still masked before storage).'}
        </p>
      </section>
    </div>
  );
}
