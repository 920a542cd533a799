// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Approval, ApprovalsResponse } from '../../proxy/api/types';
import { ApiCallError, type ApiClient } from '../../renderer/src/api/client';
import { ApiContext } from '../../renderer/src/api/context';
import { ApprovalsView, nextPending } from '../../renderer/src/approvals/ApprovalsView';
import { ApprovalsProvider } from '../../renderer/src/approvals/useApprovals';

afterEach(cleanup);

// jsdom lays nothing out: give the inbox's scroller a viewport so the windowed list renders its cards.
beforeAll(() => {
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1000);
});

function approval(id: string, requestedAt: number, status: Approval['status'] = 'pending'): Approval {
  const text = `DELETE FROM t_${id}`;
  return {
    id,
    status,
    requested_at: requestedAt,
    expires_at: requestedAt + 300_000_000,
    subject: {
      session_id: `S_${id}`,
      request_seq: 1,
      kind: 'sql',
      text,
      operation_hash: id,
      facts: {
        kind: 'sql',
        text,
        sql: {
          effect: 'delete',
          statements: [],
          reads: [],
          writes: [`t_${id}`],
          noWhere: true,
          functions: [],
          copyProgram: false,
          alterDrop: false,
          commands: ['DELETE'],
        },
      },
      rule: { id: 'pg.delete-without-where', message: 'needs an approval', builtin: true },
    },
  };
}

/** A control API stand-in answering the inbox's calls from a list, recording the decisions asked for. */
function fakeApi(list: Approval[], refuse?: ApiCallError) {
  const decisions: Array<[string, string, unknown]> = [];
  const decide = (kind: string) => async (id: string, body: unknown) => {
    decisions.push([kind, id, body]);
    if (refuse) throw refuse;
    const found = list.find((a) => a.id === id)!;
    return { approval: { ...found, status: kind === 'approve' ? 'approved' : 'denied' } as Approval };
  };
  const api = {
    approvals: async (): Promise<ApprovalsResponse> => ({
      approvals: list,
      pending: 2,
      now: Date.now() * 1000,
    }),
    approval: async (id: string) => ({ approval: { ...list.find((a) => a.id === id)!, status: 'expired' } }),
    approve: decide('approve'),
    deny: decide('deny'),
  };
  return { api: api as unknown as ApiClient, decisions };
}

function mount(api: ApiClient, selectedId: string | null = null) {
  const selected = { id: selectedId };
  const onSelect = vi.fn((id: string) => {
    selected.id = id;
    view.rerender(tree());
  });
  const tree = () => (
    <ApiContext.Provider value={api}>
      <ApprovalsProvider client={api}>
        <ApprovalsView selectedId={selected.id} onSelect={onSelect} onBack={() => undefined} />
      </ApprovalsProvider>
    </ApiContext.Provider>
  );
  const view = render(tree());
  return { onSelect, selected };
}

const ids = () => screen.getAllByTestId('approval').map((card) => card.getAttribute('data-id'));
const current = () => document.querySelector('[aria-current="true"]')?.getAttribute('data-id');

describe('approvals inbox', () => {
  it('lists pending first, newest first, then decided; arrows move; `a` approves once and moves on', async () => {
    const list = [approval('OLD', 1_000), approval('DONE', 5_000, 'denied'), approval('NEW', 3_000)];
    const { api, decisions } = fakeApi(list);
    const { selected } = mount(api);
    await waitFor(() => expect(ids()).toEqual(['NEW', 'OLD', 'DONE']));
    expect(current()).toBe('NEW');
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    expect(selected.id).toBe('OLD');
    await act(async () => {
      fireEvent.keyDown(window, { key: 'a' });
    });
    expect(decisions).toEqual([['approve', 'OLD', { scope: 'once', via: 'dashboard' }]]);
    // Decided now: after the pending one, among the decided by request time.
    await waitFor(() => expect(ids()).toEqual(['NEW', 'DONE', 'OLD']));
    expect(document.querySelector('[data-id="OLD"]')?.getAttribute('data-status')).toBe('approved');
    // The next one waiting is selected.
    expect(selected.id).toBe('NEW');
  });

  it('`d` focuses the selected one’s reason box without typing into it; Enter denies with the reason', async () => {
    const { api, decisions } = fakeApi([approval('ONE', 1_000)]);
    mount(api);
    await waitFor(() => expect(ids()).toEqual(['ONE']));
    fireEvent.keyDown(window, { key: 'd' });
    const box = screen.getByTestId('deny-reason') as HTMLInputElement;
    expect(document.activeElement).toBe(box);
    expect(box.value).toBe('');
    fireEvent.change(box, { target: { value: 'wrong database' } });
    await act(async () => {
      fireEvent.keyDown(box, { key: 'Enter' });
    });
    expect(decisions).toEqual([['deny', 'ONE', { reason: 'wrong database', via: 'dashboard' }]]);
  });

  it('shows a 409 plainly on the card, then how the approval really ended', async () => {
    const refused = new ApiCallError(
      409,
      'not_pending',
      'approval ONE is no longer pending: it was expired',
      {
        status: 'expired',
      },
    );
    const { api } = fakeApi([approval('ONE', 1_000)], refused);
    mount(api, 'ONE');
    await waitFor(() => expect(ids()).toEqual(['ONE']));
    await act(async () => {
      fireEvent.keyDown(window, { key: 'a' });
    });
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'Already decided: approval ONE is no longer pending: it was expired (HTTP 409)',
      ),
    );
    await waitFor(() =>
      expect(document.querySelector('[data-id="ONE"]')?.getAttribute('data-status')).toBe('expired'),
    );
  });

  it('picks the next pending one after a decision, else the one before', () => {
    const list = [approval('A', 3), approval('B', 2), approval('C', 1), approval('D', 0, 'denied')];
    expect(nextPending(list, 'A')).toBe('B');
    expect(nextPending(list, 'C')).toBe('B');
    expect(nextPending([list[0]!, list[3]!], 'A')).toBeUndefined();
  });
});
