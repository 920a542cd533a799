import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorResponse } from '../../proxy/api/types.js';
import { sqlSubject } from '../helpers/approvals.js';
import { waitFor } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { mountSmallDisk, type SmallDisk, smallDiskUnavailable } from '../helpers/tmpfs.js';

const cannotMount = smallDiskUnavailable();
if (cannotMount) console.warn(`skipped: ${cannotMount}`);

describe.skipIf(cannotMount)('approvals while the disk under GLASSBOX_HOME is full', () => {
  let small: SmallDisk;
  let mock: MockAnthropic;
  let test: TestEngine;
  const warnings: string[] = [];

  beforeAll(async () => {
    const disk = mountSmallDisk(32 * 1024 * 1024);
    if (typeof disk === 'string') throw new Error(disk);
    small = disk;
    mock = await MockAnthropic.start();
    const home = join(small.dir, 'home');
    mkdirSync(home);
    test = await startTestEngine(mock.url, undefined, home, { warn: (line) => warnings.push(line) });
  });
  afterAll(async () => {
    small?.free();
    if (test) await waitFor(() => test.engine.store.health().ok, 20_000, 'the store to take writes again');
    await test?.cleanup();
    await mock?.stop();
    small?.unmount();
  });

  /** Appends until the journal refuses: the store now refuses every write. */
  const fill = (sessionId: string) => {
    small.fill();
    for (let i = 0; i < 1_000 && test.engine.store.health().ok; i++) {
      try {
        test.engine.store.append(sessionId, 'x.filler', { text: 'f'.repeat(2_000) });
      } catch {
        // Refused: the store's health says so now.
      }
    }
    expect(test.engine.store.health().ok).toBe(false);
  };

  it('refuses a decision it cannot record (503, still pending), and records a withdrawal once there is room', async () => {
    const { approvals, store, addresses } = test.engine;
    const decided = approvals.request(sqlSubject(store, 'DELETE FROM orders'));
    const withdrawn = approvals.request(sqlSubject(store, 'DELETE FROM carts'));
    fill(decided.approval.subject.session_id);

    const answer = await fetch(`${addresses.apiUrl}/api/approvals/${decided.approval.id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${addresses.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(answer.status).toBe(503);
    const body = (await answer.json()) as ErrorResponse;
    expect(body.error.code).toBe('store_unavailable');
    expect(body.error.message).toMatch(/^the decision could not be recorded, so it was not made: /);
    expect(approvals.get(decided.approval.id)?.status).toBe('pending');

    // The client went away meanwhile: its statement is refused at once, and the record follows.
    expect(store.health().ok).toBe(false);
    approvals.withdraw(withdrawn.approval.id, 'the client disconnected');
    expect(warnings).toContainEqual(
      expect.stringMatching(
        `^approval ${withdrawn.approval.id} withdrawn; it is recorded once the store takes writes again`,
      ),
    );
    expect((await withdrawn.settled).status).toBe('withdrawn');
    expect(approvals.get(withdrawn.approval.id)?.status).toBe('withdrawn');
    expect(approvals.list().map((a) => a.id)).toEqual([decided.approval.id]);

    small.free();
    await waitFor(() => store.health().ok, 20_000, 'the store to take writes again');
    const sessionId = withdrawn.approval.subject.session_id;
    await waitFor(
      () => store.listEvents(sessionId).some((e) => e.kind === 'approval.decided'),
      20_000,
      'the withdrawal to be recorded',
    );
    expect(store.approvals.get(withdrawn.approval.id)?.status).toBe('withdrawn');
    expect(store.verifySession(sessionId).intact).toBe(true);

    approvals.decide(decided.approval.id, { approve: true, by: { via: 'test' } });
    expect((await decided.settled).status).toBe('approved');
  });
});
