import { statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyChangedPayload } from '../../proxy/policy/policy-record.js';
import type { RecordedEvent, Session } from '../../proxy/store/types.js';
import { runCli, type ServeProcess, spawnServe, waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';

/**
 * `glassbox serve` running while policy.json changes: a valid version applies without a restart and is
 * recorded as `policy.changed` (who, via what, the diff) in the hash chain; an invalid one is refused with a
 * line naming the field, and the old policy keeps working.
 */
describe('policy.json changes while the engine runs', () => {
  let home: string;
  let serve: ServeProcess | undefined;

  beforeAll(async () => {
    home = tempHome();
    serve = await spawnServe(home, 'http://127.0.0.1:9');
  });
  afterAll(async () => {
    await stopServe();
  });

  async function stopServe() {
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    serve = undefined;
  }
  const writePolicy = (value: unknown) => writeFileSync(join(home, 'policy.json'), JSON.stringify(value));
  /** The recorded `policy.changed` events, oldest first, with their session. */
  const policyEvents = () => {
    const list = runCli(home, ['sessions', '--json', '--kind', 'http', '--limit', '100']);
    const sessions = (JSON.parse(list.stdout) as Session[]).filter((s) => s.client === 'glassbox-policy');
    return sessions.reverse().map((session) => {
      const shown = JSON.parse(runCli(home, ['show', session.id, '--json']).stdout) as {
        events: RecordedEvent[];
      };
      const event = shown.events.find((e) => e.kind === 'policy.changed')!;
      return {
        session,
        kinds: shown.events.map((e) => e.kind),
        payload: event.payload as PolicyChangedPayload,
      };
    });
  };
  const maskEmail = () => runCli(home, ['mask'], {}, 'write to ana.lopez@acme-corp.io today\n').stdout;

  it('starts on the default policy without recording a change, and keeps its masking key private', () => {
    expect(policyEvents()).toEqual([]);
    expect(statSync(join(home, 'mask.key')).mode & 0o777).toBe(0o600);
    expect(maskEmail()).toBe('write to [MASKED:pii.email] today\n');
  });

  it('applies a changed policy.json at once and records who changed what, through what', async () => {
    writePolicy({ version: 1, detectors: { 'pii.email': { action: 'hash' } } });
    await waitFor(() => serve!.output().includes('Policy: applied'), 15_000, 'the change to apply');
    const [change] = await waitFor(
      () => (policyEvents().length === 1 ? policyEvents() : null),
      15_000,
      'the event',
    );
    expect(change!.session).toMatchObject({ kind: 'http', target: 'glassbox', status: 'closed' });
    expect(change!.kinds).toEqual(['policy.changed', 'session.end']);
    expect(change!.payload).toMatchObject({
      by: userInfo().username,
      via: 'file',
      previous: expect.stringMatching(/^[0-9a-f]{12}$/),
      version: expect.stringMatching(/^[0-9a-f]{12}$/),
      changes: [{ path: '/detectors/pii.email/action', from: { type: 'redact' }, to: { type: 'hash' } }],
    });
    expect(change!.payload.policy.version).toBe(change!.payload.version);
    expect(maskEmail()).toMatch(/^write to hash:[0-9a-f]{8} today\n$/);
    const verified = runCli(home, ['verify', change!.session.id]);
    expect(verified.stdout).toContain('chain intact');
  });

  it('refuses an invalid policy.json with one line naming the field, and keeps the old policy', async () => {
    const before = policyEvents();
    writePolicy({ detectors: { 'pii.email': { action: 'scramble' } } });
    await waitFor(() => serve!.errors().includes('refused the new policy.json'), 15_000, 'the refusal');
    const lines = serve!
      .errors()
      .split('\n')
      .filter((line) => line.includes('refused the new policy.json'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('detectors["pii.email"].action: must be one of "redact", "partial", "hash"');
    expect(lines[0]).toContain(`keeps the previous policy (${before[0]!.payload.version})`);
    expect(runCli(home, ['policy', 'check']).status).toBe(2);

    // The next valid version is compared with the policy kept, which still hashed emails.
    writePolicy({
      detectors: { 'pii.email': { action: 'hash' } },
      columns: [{ match: 'customers.email', action: 'null', wire: true }],
    });
    await waitFor(() => serve!.output().includes('policy.json is valid again'), 15_000, 'the fixed file');
    const events = await waitFor(
      () => (policyEvents().length === 2 ? policyEvents() : null),
      15_000,
      'the event',
    );
    expect(events[1]!.payload).toMatchObject({
      via: 'file',
      previous: before[0]!.payload.version,
      changes: [
        { path: '/columns/0', to: expect.objectContaining({ match: 'customers.email', wire: true }) },
      ],
    });
  });

  it('records at start a policy edited while it was stopped, and nothing when it is unchanged', async () => {
    await stopServe();
    writePolicy({ detectors: { 'pii.email': { action: 'hash' } } });
    serve = await spawnServe(home, 'http://127.0.0.1:9');
    const events = await waitFor(
      () => (policyEvents().length === 3 ? policyEvents() : null),
      15_000,
      'the event',
    );
    expect(events[2]!.payload).toMatchObject({
      via: 'start',
      previous: events[1]!.payload.version,
      changes: [{ path: '/columns/0', from: expect.objectContaining({ match: 'customers.email' }) }],
    });
    await stopServe();
    serve = await spawnServe(home, 'http://127.0.0.1:9');
    expect(policyEvents()).toHaveLength(3);
  });

  it('does not start on an invalid policy.json, and says which field to fix', async () => {
    await stopServe();
    writePolicy({ custom: [{ id: 'custom.order', pattern: '(' }] });
    const result = runCli(home, ['serve', '--anthropic-port', '0', '--api-port', '0']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('custom[0].pattern: not a valid regular expression');
  });

  it('records guard rule and approvals changes, rule by rule, and a new rule order', async () => {
    writePolicy({ detectors: { 'pii.email': { action: 'hash' } } });
    serve = await spawnServe(home, 'http://127.0.0.1:9');
    const count = policyEvents().length;
    const rule = {
      id: 'prod.no-ddl',
      action: 'block',
      message: 'no DDL on prod',
      match: { sql: { effect: 'ddl' } },
    };
    writePolicy({
      detectors: { 'pii.email': { action: 'hash' } },
      guardrails: { rules: [rule, { id: 'pg.truncate', action: 'block' }] },
      approvals: { timeout: '2m' },
    });
    const events = await waitFor(
      () => (policyEvents().length === count + 1 ? policyEvents() : null),
      15_000,
      'the event',
    );
    const { changes } = events[count]!.payload;
    expect(changes).toEqual(
      expect.arrayContaining([
        { path: '/guardrails/rules/pg.truncate/action', from: 'approve', to: 'block' },
        { path: '/guardrails/rules/prod.no-ddl', to: { ...rule, builtin: false } },
        { path: '/approvals/timeoutMs', from: 300_000, to: 120_000 },
      ]),
    );
    expect(changes.map((c) => c.path)).toContain('/guardrails/rules/(order)');
    await stopServe();
  });
});
