import { describe, expect, it } from 'vitest';
import { NotificationDecider, type SeenClientsStore } from '../../../main/notifications.js';

function memoryStore(initial: string[] = []): SeenClientsStore & { saved: string[][] } {
  const saved: string[][] = [];
  let current = initial;
  return {
    saved,
    load: () => current,
    save: (clients) => {
      current = clients;
      saved.push(clients);
    },
  };
}

describe('notification decisions', () => {
  it('notifies once per new client, and remembers clients across runs', () => {
    const store = memoryStore(['psql']);
    const decider = new NotificationDecider({ seen: store, doNotDisturb: () => false });
    expect(decider.decide({ type: 'client-seen', client: 'psql', kind: 'postgres' })).toBeUndefined();
    const first = decider.decide({ type: 'client-seen', client: 'claude-cli/2.1', kind: 'anthropic' });
    expect(first).toMatchObject({ key: 'client:claude-cli/2.1', title: 'New client recorded' });
    expect(first!.body).toContain('Anthropic API');
    expect(
      decider.decide({ type: 'client-seen', client: 'claude-cli/2.1', kind: 'anthropic' }),
    ).toBeUndefined();
    const next = new NotificationDecider({ seen: store, doNotDisturb: () => false });
    expect(next.decide({ type: 'client-seen', client: 'claude-cli/2.1', kind: 'anthropic' })).toBeUndefined();
  });

  it('does not announce clients that existed before the app started', () => {
    const decider = new NotificationDecider({ seen: memoryStore(), doNotDisturb: () => false });
    decider.remember(['old-script']);
    expect(decider.decide({ type: 'client-seen', client: 'old-script', kind: 'anthropic' })).toBeUndefined();
  });

  it('notifies an unreachable upstream once per outage', () => {
    const decider = new NotificationDecider({ seen: memoryStore(), doNotDisturb: () => false });
    const down = {
      type: 'upstream-unreachable',
      target: 'api.anthropic.com',
      detail: 'ECONNREFUSED',
    } as const;
    expect(decider.decide(down)).toMatchObject({ key: 'upstream:api.anthropic.com' });
    expect(decider.decide(down)).toBeUndefined();
    expect(decider.decide(down)).toBeUndefined();
    decider.decide({ type: 'upstream-ok', target: 'api.anthropic.com' });
    expect(decider.decide(down)).toBeDefined();
  });

  it('notifies each approval request once and opens it when clicked', () => {
    const decider = new NotificationDecider({ seen: memoryStore(), doNotDisturb: () => false });
    const request = { type: 'approval-requested', id: 'A1', summary: 'DROP TABLE orders on prod' } as const;
    expect(decider.decide(request)).toMatchObject({
      open: '/approvals/A1',
      body: 'DROP TABLE orders on prod',
    });
    expect(decider.decide(request)).toBeUndefined();
    expect(decider.decide({ ...request, id: 'A2' })).toMatchObject({ key: 'approval:A2' });
  });

  it('shows nothing during do-not-disturb and does not replay it afterwards', () => {
    let quiet = true;
    const decider = new NotificationDecider({ seen: memoryStore(), doNotDisturb: () => quiet });
    const request = { type: 'approval-requested', id: 'A9', summary: 'x' } as const;
    expect(decider.decide(request)).toBeUndefined();
    expect(decider.decide({ type: 'client-seen', client: 'new', kind: 'anthropic' })).toBeUndefined();
    quiet = false;
    expect(decider.decide(request)).toBeUndefined();
    expect(decider.decide({ type: 'client-seen', client: 'new', kind: 'anthropic' })).toBeUndefined();
    expect(decider.decide({ ...request, id: 'A10' })).toBeDefined();
  });
});
