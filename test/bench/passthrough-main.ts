/**
 * The benchmark's peer: a plain http-proxy reverse proxy with no recording, the floor any Node proxy hop
 * costs. Usage: passthrough-main.ts UPSTREAM_URL. Prints `LISTENING <url>` when ready.
 */
import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';

const proxy = httpProxy.createProxyServer({
  target: process.argv[2],
  changeOrigin: true,
  agent: new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY }),
});
proxy.on('error', (_error, _req, res) => {
  if ('destroy' in res) res.destroy();
});
const server = createServer((req, res) => proxy.web(req, res));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
