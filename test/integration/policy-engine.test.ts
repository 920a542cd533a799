import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localIdentity } from '../../proxy/identity/local.js';
import type { CompiledPolicy } from '../../proxy/policy/compile.js';
import { PolicyError } from '../../proxy/policy/document.js';
import { waitFor } from '../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';

/** The engine's policy component as the proxies and the control API will use it, in a real engine. */
describe('the engine policy', () => {
  let test: TestEngine;
  beforeAll(async () => {
    test = await startTestEngine('http://127.0.0.1:9');
  });
  afterAll(() => test?.cleanup());

  const policyEvents = () =>
    test.engine.store
      .listSessions({ kind: 'http', limit: 100 })
      .filter((s) => s.client === 'glassbox-policy')
      .flatMap((s) => test.engine.store.listEvents(s.id).filter((e) => e.kind === 'policy.changed'));

  it('swaps in a changed policy.json for the next caller, and tells subscribers', async () => {
    const { policy } = test.engine;
    const before = policy.current();
    const told: CompiledPolicy[] = [];
    const unsubscribe = policy.subscribe((next) => told.push(next));
    expect(before.text.mask('to ana.lopez@acme-corp.io').text).toBe('to [MASKED:pii.email]');

    writeFileSync(
      join(test.home, 'policy.json'),
      JSON.stringify({ detectors: { 'pii.email': { enabled: false } } }),
    );
    await waitFor(() => policy.current() !== before, 15_000, 'the new policy');
    expect(policy.current().text.mask('to ana.lopez@acme-corp.io').text).toBe('to ana.lopez@acme-corp.io');
    // A caller holding the old policy keeps a consistent one.
    expect(before.text.mask('to ana.lopez@acme-corp.io').text).toBe('to [MASKED:pii.email]');
    expect(told).toEqual([policy.current()]);
    unsubscribe();
    expect(policyEvents()).toHaveLength(1);
  });

  it('applies a policy sent through the API: writes policy.json, records it once, puts it in force', async () => {
    const { policy } = test.engine;
    const raw = { columns: [{ match: 'customers.email', action: 'partial', wire: true }] };
    const changes = await policy.apply(raw, { identity: localIdentity(), via: 'api' });
    expect(changes.map((c) => c.path)).toEqual(['/detectors/pii.email/enabled', '/columns/0']);
    const path = join(test.home, 'policy.json');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(raw);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(
      policy.current().columns({ connection: 'prod', table: 'public.customers', name: 'email' }),
    ).toEqual({
      action: { type: 'partial', keep: 4 },
      wire: true,
      rule: 'column.customers.email',
    });
    // The watcher sees the write too, finds nothing new in effect, and records nothing more.
    await policy.reload();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = policyEvents();
    expect(events).toHaveLength(2);
    expect(events.map((e) => (e.payload as { via: string }).via).sort()).toEqual(['api', 'file']);
  });

  it('refuses an invalid policy from the API without writing it, and previews a draft without applying it', async () => {
    const { policy } = test.engine;
    const path = join(test.home, 'policy.json');
    const written = readFileSync(path, 'utf8');
    const version = policy.current().version;
    await expect(
      policy.apply(
        { columns: [{ match: 'x', action: 'scramble' }] },
        { identity: localIdentity(), via: 'api' },
      ),
    ).rejects.toBeInstanceOf(PolicyError);
    expect(readFileSync(path, 'utf8')).toBe(written);

    const draft = policy.draft({ detectors: { 'pii.email': { action: 'hash' } } });
    expect(draft.text.mask('ana.lopez@acme-corp.io').text).toMatch(/^hash:[0-9a-f]{8}$/);
    expect(() => policy.draft({ detectors: { 'pii.nope': {} } })).toThrow(
      /detectors\["pii.nope"\]: no detector/,
    );
    expect(policy.current().version).toBe(version);
    expect(policyEvents()).toHaveLength(2);
  });
});
