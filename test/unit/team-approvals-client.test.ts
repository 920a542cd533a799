/**
 * The routed approvals' client (proxy/sync/approvals-client.ts) when the team server does not answer: the
 * error names the system's reason (ECONNREFUSED), as the mirror's status does, not undici's bare
 * "fetch failed".
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TeamApprovalError, TeamApprovalsClient } from '../../proxy/sync/approvals-client.js';

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('team approvals client, server unreachable', () => {
  it('says why the server does not answer', async () => {
    const base = `http://127.0.0.1:${await closedPort()}`;
    const client = new TeamApprovalsClient(() => base, { bearer: () => 'token' });
    const failure = await client.pending().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TeamApprovalError);
    expect(failure).toMatchObject({ code: 'unreachable' });
    expect((failure as Error).message).toBe(`the team server at ${base} does not answer (ECONNREFUSED)`);
  });
});
