import { randomInt } from 'node:crypto';
import type { Store } from '../store/store.js';
import { sendCancel, type UpstreamTarget } from './upstream.js';

/** The BackendKeyData Glassbox hands a client instead of the upstream's. */
export interface FakeBackendKey {
  processId: number;
  secretKey: number;
}

interface Route {
  target: UpstreamTarget;
  processId: number;
  secretKey: Buffer;
  sessionId: string;
}

/**
 * Routes CancelRequests (PostgreSQL docs, 55.2.9 "Canceling Requests in Progress"). Each client gets its own
 * random BackendKeyData; a CancelRequest carrying it is forwarded, over a fresh upstream connection, with the
 * upstream backend's real key. Unknown keys are ignored, as PostgreSQL does.
 */
export class CancelRegistry {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly store: Store) {}

  /** Issues a fake key for a session whose upstream backend has `upstreamKey`. */
  register(
    target: UpstreamTarget,
    upstreamKey: { processId: number; secretKey: Buffer } | undefined,
    sessionId: string,
  ): FakeBackendKey {
    let fake: FakeBackendKey;
    do {
      fake = { processId: randomInt(1, 0x7fffffff), secretKey: randomInt(-0x80000000, 0x7fffffff) };
    } while (this.routes.has(keyOf(fake.processId, fake.secretKey)));
    if (upstreamKey)
      this.routes.set(keyOf(fake.processId, fake.secretKey), { target, ...upstreamKey, sessionId });
    return fake;
  }

  /** Forgets a key when its session ends, so a late CancelRequest with it is ignored. */
  unregister(fake: FakeBackendKey): void {
    this.routes.delete(keyOf(fake.processId, fake.secretKey));
  }

  /** Forwards a client's CancelRequest if it carries a key Glassbox issued; records it in that session. */
  async forward(processId: number, secretKey: Buffer): Promise<void> {
    if (secretKey.length !== 4) return;
    const route = this.routes.get(keyOf(processId, secretKey.readInt32BE(0)));
    if (!route) return;
    let error: string | null = null;
    try {
      await sendCancel(route.target, route.processId, route.secretKey);
    } catch (cause) {
      error = (cause as Error).message;
    }
    try {
      this.store.append(route.sessionId, 'pg.cancel', { forwarded: error === null, error });
    } catch {
      // The session may have ended meanwhile; the cancel itself was still forwarded.
    }
  }
}

function keyOf(processId: number, secretKey: number): string {
  return `${processId}:${secretKey}`;
}
