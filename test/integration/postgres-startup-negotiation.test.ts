import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startupMessage } from '../../proxy/postgres/frontend-messages.js';
import { STARTUP_CODE } from '../../proxy/postgres/messages.js';
import { Writer } from '../../proxy/postgres/wire.js';
import { waitFor } from '../helpers/cli.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { startupExchange as exchange } from '../helpers/raw-pg.js';

/**
 * The untyped start of a connection (issue 15, point 13): one SSLRequest and one GSSENCRequest at most, as
 * PostgreSQL 15 takes them (compared with the real server the proxy leads to), so a flood of them on one
 * socket is answered once and closed.
 */

const SSL_REQUEST = new Writer().int32(STARTUP_CODE.SSLRequest).untyped();
const GSSENC_REQUEST = new Writer().int32(STARTUP_CODE.GSSENCRequest).untyped();

describe('PostgreSQL proxy: SSLRequest and GSSENCRequest', () => {
  let setup: PgProxySetup;
  let authenticated: pg.Client;

  beforeAll(async () => {
    setup = await startPgProxy();
    authenticated = new pg.Client({ connectionString: setup.url });
    await authenticated.connect();
  });
  afterAll(async () => {
    await authenticated?.end();
    await setup?.cleanup();
  });

  it('takes one SSLRequest per connection and refuses a second as PostgreSQL 15 does (FATAL 0A000)', async () => {
    const proxy = await exchange(setup.port, [SSL_REQUEST, SSL_REQUEST]);
    const server = await exchange(setup.pg.port, [SSL_REQUEST, SSL_REQUEST]);
    expect(server.bytes).toBe('N');
    expect(server.error).toMatchObject({ S: 'FATAL', C: '0A000' });
    expect(proxy.bytes).toBe('N');
    expect(proxy.error).toMatchObject({
      S: 'FATAL',
      C: '0A000',
      M: expect.stringMatching(/^unsupported frontend protocol 1234\.5679: server supports 3\.0 to 3\./),
    });
    // Bytes sent before the answer to an SSLRequest: refused after the answer, by both.
    const pipelinedProxy = await exchange(setup.port, [
      Buffer.concat([SSL_REQUEST, startupMessage({ user: 'x' })]),
    ]);
    const pipelinedServer = await exchange(setup.pg.port, [
      Buffer.concat([SSL_REQUEST, startupMessage({ user: 'x' })]),
    ]);
    for (const answer of [pipelinedProxy, pipelinedServer]) {
      expect(answer.bytes).toBe('N');
      expect(answer.error).toMatchObject({ C: '08P01', M: 'received unencrypted data after SSL request' });
    }
  });

  it('takes one GSSENCRequest per connection, either order with SSLRequest, then a second is refused', async () => {
    // The test server speaks GSSAPI ('G'), so these follow PostgreSQL's source (postmaster.c,
    // ProcessStartupPacket: ssl_done / gss_done) rather than its answers.
    expect(await exchange(setup.port, [GSSENC_REQUEST, GSSENC_REQUEST])).toMatchObject({
      bytes: 'N',
      error: { C: '0A000', M: expect.stringMatching(/^unsupported frontend protocol 1234\.5680/) },
    });
    expect(await exchange(setup.port, [GSSENC_REQUEST, SSL_REQUEST, SSL_REQUEST])).toMatchObject({
      bytes: 'NN',
      error: { C: '0A000' },
    });
    expect(await exchange(setup.port, [SSL_REQUEST, GSSENC_REQUEST, GSSENC_REQUEST])).toMatchObject({
      bytes: 'NN',
      error: { C: '0A000' },
    });
  });

  it('answers a flood of SSLRequests on one socket once, then closes it; the engine keeps serving', async () => {
    const flood = Buffer.concat(Array.from({ length: 8192 }, () => SSL_REQUEST));
    // A flooder that never closes its side nor stops writing: the proxy must close the connection itself.
    const socket = connect({ port: setup.port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
    });
    const pump = () => {
      while (!socket.destroyed && socket.write(flood));
    };
    socket.on('drain', pump);
    socket.on('connect', pump);
    await waitFor(() => closed, 10_000, 'the proxy to close the flooding connection');
    const answer = Buffer.concat(chunks);
    // One 'N' and one ErrorResponse, not one 'N' per packet.
    expect(answer.subarray(0, 1).toString()).toBe('N');
    expect(answer.length).toBeLessThan(300);
    expect((await authenticated.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });
});
