import type { ServerResponse } from 'node:http';
import { describeError } from '../common/errors.js';
import { glassboxErrorBody } from './errors.js';

/**
 * Tells a client that Glassbox could not record its `request` (so it was not forwarded) or the upstream's
 * `reply` (so no more of it is relayed) — the store refused the write, e.g. because the disk is full — with
 * an Anthropic-shaped 500 `api_error` naming Glassbox and the cause (Anthropic API reference, "Errors"), and
 * the header `x-glassbox-error: recording_failed`. A reply whose head already went out can only be cut off:
 * the connection is closed.
 */
export function refuseUnrecorded(res: ServerResponse, what: 'request' | 'reply', error: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const message =
    what === 'request'
      ? `could not record the request, so it was not forwarded: ${describeError(error)}`
      : `could not record the reply, so it was not relayed: ${describeError(error)}`;
  res.writeHead(500, {
    'content-type': 'application/json',
    'x-glassbox-error': 'recording_failed',
    connection: 'close',
  });
  res.end(glassboxErrorBody('api_error', message));
}
