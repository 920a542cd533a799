import { randomInt } from 'node:crypto';
import type { Store } from '../store/store.js';
import { sendCancel, type UpstreamTarget } from './upstream.js';

/** The BackendKeyData Glassbox hands a client instead of the upstream's (same process id, own secret key). */
export interface FakeBackendKey {
  processId: number;
  secretKey: number;
}

interface Route {
  target: UpstreamTarget;
  processId: number;
  secretKey: Buffer;
  sessionId: string;
  /** Told before the request is forwarded (a statement held for approval is withdrawn). */
  onCancel: (() => void) | undefined;
}

/**
 * Routes CancelRequests (PostgreSQL docs, 55.2.9 "Canceling Requests in Progress"). Each client gets
 * BackendKeyData with its upstream backend's process id and a random secret key of Glassbox's; a
 * CancelRequest carrying it is forwarded, over a fresh upstream connection, with the upstream backend's real
 * key. Unknown keys are ignored, as PostgreSQL does.
 */
export class CancelRegistry {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly store: Store) {}

  /**
   * Issues a fake key for a session whose upstream backend has `upstreamKey`; `onCancel` is called when a
   * CancelRequest with it arrives, before it is forwarded.
   */
  register(
    target: UpstreamTarget,
    upstreamKey: { processId: number; secretKey: Buffer } | undefined,
    sessionId: string,
    onCancel?: () => void,
  ): FakeBackendKey {
    // The process id is the backend's own, so it matches pg_backend_pid() and pg_stat_activity (clients such
    // as postgres.js compare them); it is no secret. Only the secret key, which authorises a cancel, is Glassbox's.
    const processId = upstreamKey?.processId ?? randomInt(1, 0x7fffffff);
    let fake: FakeBackendKey;
    do {
      fake = { processId, secretKey: randomInt(-0x80000000, 0x7fffffff) };
    } while (this.routes.has(keyOf(fake.processId, fake.secretKey)));
    if (upstreamKey)
      this.routes.set(keyOf(fake.processId, fake.secretKey), { target, ...upstreamKey, sessionId, onCancel });
    return fake;
  }

  /** Forgets a key when its session ends, so a late CancelRequest with it is ignored. */
  unregister(fake: FakeBackendKey): void {
    this.routes.delete(keyOf(fake.processId, fake.secretKey));
  }

  /**
   * Forwards a client's CancelRequest if it carries a key Glassbox issued; records it in that session.
   * @returns false when the key is not one of a live session's (the request is ignored)
   */
  async forward(processId: number, secretKey: Buffer): Promise<boolean> {
    if (secretKey.length !== 4) return false;
    const route = this.routes.get(keyOf(processId, secretKey.readInt32BE(0)));
    if (!route) return false;
    route.onCancel?.();
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
    return true;
  }
}

function keyOf(processId: number, secretKey: number): string {
  return `${processId}:${secretKey}`;
}
