/**
 * A team server that sends the engine what it should not (a compromised or buggy server, or something in
 * between): the engine's routed-approvals component, on a real engine, follows a live stream whose frames are
 * not the protocol's. Nothing it sends may throw out of the socket's handlers (an uncaught exception ends the
 * engine), and the component keeps working for the frames that are valid. The server here is deliberately a
 * stand-in (a `ws` server answering only /v1/live): no real server sends these frames.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { TeamApprovalsClient } from '../../../proxy/sync/approvals-client.js';
import { TeamLiveClient } from '../../../proxy/sync/live-client.js';
import type { RoutedApproval } from '../../../proxy/sync/protocol.js';
import { RoutedApprovals } from '../../../proxy/sync/routed-approvals.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine.js';

let test: TestEngine;
let http: Server;
let wss: WebSocketServer;
let url: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  test = await startTestEngine('http://127.0.0.1:9');
  http = createServer((_request, response) => {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"error":"not_found","message":"no"}');
  });
  wss = new WebSocketServer({ server: http, path: '/v1/live' });
  wss.on('connection', (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  wss?.close();
  await new Promise((resolve) => http?.close(resolve));
  await test?.cleanup();
});

/** A valid pending approval asked by someone else (carol) for a group this person decides. */
function pendingFromCarol(id: string): RoutedApproval {
  const now = Date.now() * 1000;
  return {
    id,
    session_id: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
    request_seq: 3,
    rule_id: 'db.delete',
    group: 'db-approvers',
    allow_self_approval: false,
    what: { operation: 'DELETE FROM orders' },
    requested_at: now,
    expires_at: now + 600_000_000,
    requester: { issuer: 'https://idp.test', subject: 'carol', email: null, name: null, groups: [] },
    status: 'pending',
    decided_at: null,
    decided_by: null,
    reason: null,
    scope: null,
  };
}

describe('the live stream of a hostile team server', () => {
  it('drops frames that are not protocol messages without throwing, and still takes valid ones', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const bearer = { bearer: () => 'token-of-bob' };
    const live = new TeamLiveClient({ baseUrl: () => url, bearer });
    const routed = new RoutedApprovals({
      approvals: test.engine.approvals,
      client: new TeamApprovalsClient(() => url, bearer),
      baseUrl: () => url,
      live,
      me: () => ({ issuer: 'https://idp.test', subject: 'bob' }),
      pollMs: 60_000,
      warn: () => undefined,
    });
    live.start();
    routed.start();
    try {
      await expect.poll(() => sockets.length, { timeout: 30_000 }).toBeGreaterThan(0);
      const socket = sockets.at(-1)!;
      const frames = [
        JSON.stringify({ type: 'hello', protocol: 1, user: { subject: 'bob', groups: ['db-approvers'] } }),
        'null',
        '42',
        '"approval"',
        JSON.stringify({ type: 'approval' }),
        JSON.stringify({ type: 'approval', approval: null }),
        JSON.stringify({ type: 'approval', approval: { id: 'ap_BADBAD00' } }),
        JSON.stringify({ type: 'approval', approval: { ...pendingFromCarol('ap_BADBAD01'), requester: 7 } }),
        JSON.stringify({ type: 'approval', approval: pendingFromCarol('ap_G00DG00D') }),
      ];
      for (const frame of frames) socket.send(frame);
      await expect.poll(() => routed.inbox().map((a) => a.id), { timeout: 30_000 }).toEqual(['ap_G00DG00D']);
      expect(uncaught).toEqual([]);
    } finally {
      routed.stop();
      live.stop();
      process.off('uncaughtException', onUncaught);
    }
  }, 120_000);
});
