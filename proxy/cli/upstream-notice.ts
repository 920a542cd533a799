import type { UpstreamChange } from '../anthropic/upstream-health.js';
import { count, duration } from './format.js';

/**
 * The terminal line for a change of the Anthropic upstream's reachability, or null for changes not worth a
 * line (the first successful request after start). One line when it starts failing, one when it answers
 * again: a client retrying for minutes makes two lines, not one per request. E.g.
 *   glassbox: warning: cannot reach the Anthropic API at https://api.anthropic.com/ (ECONNREFUSED: …); …
 *   glassbox: the Anthropic API at https://api.anthropic.com/ answers again (after 2 min 3 s; 9 requests failed)
 */
export function upstreamNotice(change: UpstreamChange): string | null {
  const { upstream, status, previous } = change;
  if (status.state === 'failing') {
    return `glassbox: warning: cannot reach the Anthropic API at ${upstream} (${status.last_error}); clients get errors until it answers again`;
  }
  if (status.state === 'ok' && previous.state === 'failing') {
    const failedFor = status.since !== null && previous.since !== null ? status.since - previous.since : null;
    const failed = previous.failed_requests;
    return `glassbox: the Anthropic API at ${upstream} answers again (after ${duration(failedFor)}; ${count(failed)} ${failed === 1 ? 'request' : 'requests'} failed)`;
  }
  return null;
}
