import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../main/engine-client.js';
import { watchEngine } from '../../main/live-signals.js';
import { type EngineSignal, NotificationDecider } from '../../main/notifications.js';
import type { IdentityLoginResponse } from '../../proxy/identity/types.js';
import { type IdentitySetup, startIdentitySetup } from '../helpers/identity-engine.js';

/**
 * A sign-in started from the tray that fails (here: denied at the provider) must reach the person even with the
 * window closed: the engine's live `sign-in-failed` message becomes a desktop notification.
 */
describe('the tray tells a failed sign-in', () => {
  let setup: IdentitySetup;
  beforeAll(async () => {
    setup = await startIdentitySetup();
  });
  afterAll(async () => {
    await setup?.cleanup();
  });

  it('turns the live sign-in-failed message into one notification naming the failure', async () => {
    const address = { apiUrl: setup.test.engine.addresses.apiUrl, token: setup.test.engine.addresses.token };
    const signals: EngineSignal[] = [];
    let connected = false;
    const stop = watchEngine({
      address,
      client: new EngineClient(address),
      onSignal: (signal) => signals.push(signal),
      onChange: () => {
        connected = true;
      },
    });
    try {
      const deadline = Date.now() + 10_000;
      while (!connected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const { status, body } = await setup.call<IdentityLoginResponse>('POST', '/api/identity/login');
      expect(status).toBe(200);
      // The person cancels at the provider, which redirects back to the engine's listener with an error.
      const authorization = new URL(body.url);
      const callback = new URL(authorization.searchParams.get('redirect_uri') ?? '');
      callback.searchParams.set('error', 'access_denied');
      callback.searchParams.set('error_description', 'End-User aborted interaction');
      callback.searchParams.set('state', authorization.searchParams.get('state') ?? '');
      await (await fetch(callback)).text();

      const until = Date.now() + 10_000;
      while (!signals.some((s) => s.type === 'sign-in-failed') && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const failed = signals.find((s) => s.type === 'sign-in-failed');
      expect(failed).toBeDefined();
      const decider = new NotificationDecider({
        seen: { load: () => [], save: () => undefined },
        doNotDisturb: () => false,
      });
      const notice = decider.decide(failed!);
      expect(notice).toMatchObject({ title: 'Glassbox: sign-in failed', open: '/' });
      expect(notice?.body).toContain('access_denied');
    } finally {
      stop();
    }
  }, 60_000);
});
