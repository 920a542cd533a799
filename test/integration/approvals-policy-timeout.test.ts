/**
 * The broker's settings come from the policy in force: `approvals.timeout` in policy.json decides when a
 * request expires, and a change to it applies to the next request without a restart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlSubject } from '../helpers/approvals.js';
import { startTestEngine, type TestEngine, tempHome } from '../helpers/engine.js';

describe('approvals timed by the policy in force', () => {
  let test: TestEngine;

  beforeAll(async () => {
    const home = tempHome();
    writeFileSync(join(home, 'policy.json'), JSON.stringify({ version: 1, approvals: { timeout: '1s' } }));
    test = await startTestEngine('http://127.0.0.1:9', undefined, home);
  });
  afterAll(async () => {
    await test?.cleanup();
  });

  it('expires a request after the policy’s approvals.timeout', async () => {
    const { approval, settled } = test.engine.approvals.request(
      sqlSubject(test.engine.store, 'DELETE FROM orders'),
    );
    expect((approval.expires_at - approval.requested_at) / 1e3).toBe(1_000);
    const outcome = await settled;
    expect(outcome.status).toBe('expired');
  });
});
