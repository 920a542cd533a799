/**
 * The team clients read a server's answers with a size cap (proxy/sync/http.ts): a hostile or broken server
 * streaming an endless body, or declaring a huge one, cannot make the engine hold it in memory. Real fetch
 * against a real HTTP server on loopback.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, readText } from '../../proxy/sync/http.js';

let server: Server;
let url: string;
let endlessWritten = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/small') {
      response.end('{"ok":true}');
    } else if (request.url === '/declared') {
      response.writeHead(200, { 'content-length': String(64 * 1024 * 1024) });
      response.write('{');
    } else {
      // Chunked and endless until the client goes away.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!response.destroyed && response.write(chunk)) endlessWritten += chunk.length;
        if (!response.destroyed) response.once('drain', pump);
      };
      response.on('close', () => undefined);
      pump();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

describe('reading a team server answer', () => {
  it('reads a small answer', async () => {
    expect(await readJson(await fetch(`${url}/small`))).toEqual({ ok: true });
  });

  it('gives up on an endless body after the limit instead of reading it all', async () => {
    expect(await readText(await fetch(`${url}/endless`), 1024 * 1024)).toBeUndefined();
    expect(endlessWritten).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a body that declares more than the limit without reading it', async () => {
    expect(await readText(await fetch(`${url}/declared`), 1024 * 1024)).toBeUndefined();
  });
});
