import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceEndpoint, discover } from '../../proxy/identity/discovery.js';
import { IdentityError } from '../../proxy/identity/errors.js';
import { startOidcProvider, TEST_CLIENT_ID, type TestOidcProvider } from '../helpers/oidc-provider.js';

/** The IdentityError `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<IdentityError> {
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!(error instanceof IdentityError)) throw error;
  return error;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('discovery errors against real servers', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step();
  });
  const provider = async (
    options: Parameters<typeof startOidcProvider>[0] = {},
  ): Promise<TestOidcProvider> => {
    const started = await startOidcProvider(options);
    cleanup.push(() => started.close());
    return started;
  };

  it('a closed port is "unreachable" and names the connection error', async () => {
    const server = createServer();
    const port = await listen(server);
    server.close();
    await once(server, 'close');
    const issuer = `http://127.0.0.1:${port}`;
    const error = await failure(discover({ issuer, clientId: TEST_CLIENT_ID }));
    expect(error.code).toBe('unreachable');
    expect(error.message).toContain(`Cannot reach the identity provider at ${issuer} (ECONNREFUSED)`);
    expect(error.message).toContain('identity.issuer');
  });

  it('a server that never answers is "unreachable" (timeout), not "not an issuer"', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => held.push(res));
    const port = await listen(server);
    cleanup.push(async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    });
    const issuer = `http://127.0.0.1:${port}`;
    const error = await failure(discover({ issuer, clientId: TEST_CLIENT_ID }, { timeoutSeconds: 1 }));
    expect(error.code).toBe('unreachable');
    expect(error.message).toContain(`Cannot reach the identity provider at ${issuer} (timeout)`);
  });

  it('a web server answering 404 is "not an issuer"', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
    });
    const port = await listen(server);
    cleanup.push(async () => {
      server.close();
      await once(server, 'close');
    });
    const issuer = `http://127.0.0.1:${port}/realms/eng`;
    const error = await failure(discover({ issuer, clientId: TEST_CLIENT_ID }));
    expect(error.code).toBe('not-an-issuer');
    expect(error.message).toContain(`${issuer} is not an OpenID Connect issuer`);
    expect(error.message).toContain(`${issuer}/.well-known/openid-configuration`);
    expect(error.message).toContain('404');
  });

  it('an issuer spelt differently from the document names the value to use', async () => {
    const op = await provider();
    const port = new URL(op.issuer).port;
    const error = await failure(discover({ issuer: `http://localhost:${port}`, clientId: TEST_CLIENT_ID }));
    expect(error.code).toBe('not-an-issuer');
    expect(error.message).toContain(`Set identity.issuer in config.json to "${op.issuer}"`);
  });

  it('a provider without the device grant is "no-device-endpoint"', async () => {
    const op = await provider({ deviceFlow: false });
    const config = await discover({ issuer: op.issuer, clientId: TEST_CLIENT_ID });
    let error: unknown;
    try {
      deviceEndpoint(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).code).toBe('no-device-endpoint');
    expect((error as IdentityError).message).toContain(`${op.issuer} has no device authorization endpoint`);
  });

  it('the test provider with the device grant has the endpoint', async () => {
    const op = await provider();
    const config = await discover({ issuer: op.issuer, clientId: TEST_CLIENT_ID });
    expect(deviceEndpoint(config)).toBe(`${op.issuer}/device/auth`);
  });
});
