import { clockMs, duration } from '../format';
import { Fold } from '../ui/Fold';
import type { Attempt, Turn } from './conversation';

/** How one failed attempt ended: `HTTP 529 overloaded_error`, `upstream_unreachable`… */
function failure(attempt: Attempt): string {
  const status = attempt.status ? `HTTP ${attempt.status} ` : '';
  return `${status}${attempt.error?.type ?? attempt.outcome}`;
}

/**
 * The attempts of a request the client sent again after it failed, as one line ("Retried: 3 attempts over
 * 4.2 s — 2 failed: HTTP 529 overloaded_error ×2") that opens to each attempt.
 */
export function Retries({ turn }: { turn: Turn }) {
  const failed = turn.retries;
  if (failed.length === 0) return null;
  const attempts = failed.length + 1;
  const reasons = new Map<string, number>();
  for (const attempt of failed) reasons.set(failure(attempt), (reasons.get(failure(attempt)) ?? 0) + 1);
  const why = [...reasons].map(([reason, n]) => (n > 1 ? `${reason} ×${n}` : reason)).join(', ');
  const span = turn.endTs !== null ? ` over ${duration(turn.endTs - turn.ts)}` : '';
  const last = turn.turnSeq === null ? ', the last still in flight' : '';
  return (
    <div className="retries" data-testid="retries">
      <Fold label="Retried" summary={`${attempts} attempts${span} — ${failed.length} failed: ${why}${last}`}>
        <ol className="attempts small">
          {failed.map((attempt) => (
            <li key={attempt.requestSeq}>
              <span className="mono faint">#{attempt.requestSeq}</span> {clockMs(attempt.ts)}{' '}
              <span className="error-text">{failure(attempt)}</span>
              {attempt.error?.message ? <span className="faint"> {attempt.error.message}</span> : null}
              <span className="faint"> · {duration((attempt.endTs ?? attempt.ts) - attempt.ts)}</span>
            </li>
          ))}
          <li>
            <span className="faint">last attempt: {turn.outcome}</span>
          </li>
        </ol>
      </Fold>
    </div>
  );
}
