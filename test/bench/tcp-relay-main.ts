/**
 * The PostgreSQL benchmark's Node floor: a bare TCP relay that copies bytes both ways and does nothing else (no
 * framing, no recording, no authentication). What any proxy written in Node pays for the hop on this machine.
 * Usage: tcp-relay-main.ts UPSTREAM_PORT. Prints `LISTENING <port>` when ready.
 */
import { type AddressInfo, connect, createServer } from 'node:net';

const upstreamPort = Number(process.argv[2]);
const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: '127.0.0.1', port: upstreamPort, noDelay: true });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
