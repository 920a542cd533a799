import { clockMs, duration } from '../format';
import { Fold } from '../ui/Fold';
import type { Attempt, Turn } from './conversation';

/** How one attempt ended: `HTTP 529 overloaded_error`, `upstream_unreachable`, `complete`, `in flight`. */
function ending(attempt: Attempt): string {
  if (attempt.turnSeq === null) return 'in flight';
  const status = attempt.status ? `HTTP ${attempt.status} ` : '';
  return `${status}${attempt.error?.type ?? attempt.outcome}`;
}

/**
 * The one-line summary of a retried turn's attempts, the latest (the turn itself) included: `3 attempts over
 * 1.71 s — all failed: upstream_unreachable ×3`, `… — 2 failed, then succeeded: HTTP 529 overloaded_error ×2`,
 * or `… — 2 failed, the last still in flight: …`. Every outcome but `complete` is a failure, as in the
 * session's error count.
 */
export function retrySummary(turn: Turn): string {
  const last = turn.lastAttempt;
  const lastFailed = last.turnSeq !== null && last.outcome !== 'complete';
  const failed = lastFailed ? [...turn.retries, last] : turn.retries;
  const reasons = new Map<string, number>();
  for (const attempt of failed) reasons.set(ending(attempt), (reasons.get(ending(attempt)) ?? 0) + 1);
  const why = [...reasons].map(([reason, n]) => (n > 1 ? `${reason} ×${n}` : reason)).join(', ');
  const span = turn.endTs !== null ? ` over ${duration(turn.endTs - turn.ts)}` : '';
  const how = lastFailed
    ? 'all failed'
    : last.turnSeq === null
      ? `${failed.length} failed, the last still in flight`
      : `${failed.length} failed, then succeeded`;
  return `${turn.retries.length + 1} attempts${span} — ${how}: ${why}`;
}

/**
 * The attempts of a request the client sent again after it failed, as one line (see {@link retrySummary})
 * that opens to each attempt: its request seq, time, how it ended and how long it took.
 */
export function Retries({ turn }: { turn: Turn }) {
  if (turn.retries.length === 0) return null;
  const attempts = [...turn.retries, turn.lastAttempt];
  return (
    <div className="retries" data-testid="retries">
      <Fold label="Retried" summary={retrySummary(turn)}>
        <ol className="attempts small">
          {attempts.map((attempt) => (
            <li key={attempt.requestSeq}>
              <span className="mono faint">#{attempt.requestSeq}</span> {clockMs(attempt.ts)}{' '}
              <span
                className={
                  attempt.turnSeq !== null && attempt.outcome !== 'complete' ? 'error-text' : undefined
                }
              >
                {ending(attempt)}
              </span>
              {attempt.error?.message ? <span className="faint"> {attempt.error.message}</span> : null}
              {attempt.endTs !== null ? (
                <span className="faint"> · {duration(attempt.endTs - attempt.ts)}</span>
              ) : null}
            </li>
          ))}
        </ol>
      </Fold>
    </div>
  );
}
