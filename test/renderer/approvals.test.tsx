// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Approval, ApprovalSubject } from '../../proxy/api/types';
import type { SqlFacts } from '../../proxy/policy/guard/types';
import { parseRoute } from '../../renderer/src/App';
import { ApiCallError } from '../../renderer/src/api/client';
import { ApprovalCard } from '../../renderer/src/approvals/ApprovalCard';
import { decisionError } from '../../renderer/src/approvals/ApprovalsView';
import {
  compareApprovals,
  estimateText,
  factChips,
  mergeApprovals,
  timeLeft,
  upsertApproval,
} from '../../renderer/src/approvals/facts';

afterEach(cleanup);

const SQL_FACTS: SqlFacts = {
  effect: 'delete',
  statements: [],
  reads: [],
  writes: ['public.orders'],
  noWhere: true,
  functions: [],
  copyProgram: false,
  alterDrop: false,
  commands: ['DELETE'],
};

function subject(over: Partial<ApprovalSubject> = {}): ApprovalSubject {
  return {
    session_id: '01JSESSION00000000000000AB',
    request_seq: 7,
    kind: 'sql',
    text: 'DELETE FROM public.orders',
    operation_hash: 'h',
    facts: {
      kind: 'sql',
      text: 'DELETE FROM public.orders',
      sql: { ...SQL_FACTS, writes: ['public.orders'] },
    },
    rule: { id: 'pg.delete-without-where', message: 'DELETE without WHERE needs an approval', builtin: true },
    client: 'psql',
    target: 'shop',
    identity: { os_user: 'alice' },
    context: {
      estimated_rows: 12_000,
      estimate_of: 'public.orders',
      prompt: 'clean up old orders',
      prompt_session_id: 'CLAUDE01',
    },
    ...over,
  };
}

function approval(id: string, over: Partial<Approval> = {}): Approval {
  return {
    id,
    subject: subject(),
    status: 'pending',
    requested_at: 1_000_000,
    expires_at: 301_000_000,
    ...over,
  };
}

describe('approval facts as chips', () => {
  it('reads a DELETE without WHERE as "DELETE · no WHERE · public.orders"', () => {
    expect(factChips(subject().facts)).toEqual(['DELETE', 'no WHERE', 'public.orders']);
  });

  it('reads a shell command through its wrappers, flags normalised, with the paths it touches', () => {
    const chips = factChips({
      kind: 'bash',
      command: 'sudo rm -rf /srv/data',
      shell: {
        commands: [
          {
            name: 'rm',
            via: ['sudo'],
            flags: ['force', 'recursive'],
            subcommands: [],
            args: ['/srv/data'],
            paths: ['/srv/data'],
            pipedFromDownload: false,
          },
        ],
        sql: [],
      },
      sql: [],
    });
    expect(chips).toEqual(['rm --force --recursive', 'via sudo', '/srv/data']);
  });

  it('adds the SQL of a psql -c, and a file tool’s paths, and survives facts missing fields', () => {
    const bash = factChips({
      kind: 'bash',
      command: 'psql -c "DROP TABLE t"',
      shell: {
        commands: [
          {
            name: 'psql',
            via: [],
            flags: ['c'],
            subcommands: [],
            args: [],
            paths: [],
            pipedFromDownload: false,
          },
        ],
        sql: ['DROP TABLE t'],
      },
      sql: [{ ...SQL_FACTS, effect: 'ddl', commands: ['DROP TABLE'], writes: ['t'], noWhere: false }],
    });
    expect(bash).toEqual(['psql -c', 'DROP TABLE', 't']);
    expect(factChips({ kind: 'file', file: { tool: 'Write', paths: ['/home/a/.env'] } })).toEqual([
      'Write',
      '/home/a/.env',
    ]);
    expect(factChips({ kind: 'sql', text: 'x' } as never)).toEqual([]);
    expect(factChips({ kind: 'bash' } as never)).toEqual([]);
  });

  it('caps a long list of chips with a count of the rest', () => {
    const writes = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const chips = factChips({ kind: 'sql', text: 'x', sql: { ...SQL_FACTS, noWhere: false, writes } });
    expect(chips).toHaveLength(8);
    expect(chips.at(-1)).toBe('+6 more');
  });
});

describe('approval inbox order and time', () => {
  it('lists pending first, newest first, then decided; a late pending copy never undoes a decision', () => {
    let list: Approval[] = [];
    list = upsertApproval(list, approval('ap_OLD', { requested_at: 1 }));
    list = upsertApproval(list, approval('ap_NEW', { requested_at: 3 }));
    list = upsertApproval(list, approval('ap_DONE', { requested_at: 5, status: 'denied' }));
    expect(list.map((a) => a.id)).toEqual(['ap_NEW', 'ap_OLD', 'ap_DONE']);
    list = upsertApproval(list, approval('ap_NEW', { requested_at: 3, status: 'approved' }));
    expect(list.map((a) => [a.id, a.status])).toEqual([
      ['ap_OLD', 'pending'],
      ['ap_DONE', 'denied'],
      ['ap_NEW', 'approved'],
    ]);
    expect(upsertApproval(list, approval('ap_NEW', { requested_at: 3 }))).toBe(list);
    expect([...list].sort(compareApprovals)).toEqual(list);
  });

  it('merges a list read late with what the live feed said meanwhile', () => {
    const live = [
      approval('ap_A', { status: 'approved', requested_at: 2 }),
      approval('ap_NEW', { requested_at: 9 }),
    ];
    const read = [
      approval('ap_A', { requested_at: 2 }),
      approval('ap_B', { requested_at: 1, status: 'expired' }),
    ];
    expect(mergeApprovals(live, read).map((a) => [a.id, a.status])).toEqual([
      ['ap_NEW', 'pending'],
      ['ap_A', 'approved'],
      ['ap_B', 'expired'],
    ]);
  });

  it('counts time left down to the second, and the estimate as rows of a table', () => {
    expect(timeLeft(301_000_000, 1_000_000)).toBe('5:00 left');
    expect(timeLeft(301_000_000, 294_500_000)).toBe('0:06 left');
    expect(timeLeft(301_000_000, 301_000_000)).toBe('expiring…');
    expect(timeLeft(3_700_000_000, 0)).toBe('1:01:40 left');
    expect(estimateText({ estimated_rows: 12_000, estimate_of: 'public.orders' })).toBe(
      '≈ 12,000 rows of public.orders',
    );
    expect(estimateText({})).toBeNull();
  });

  it('routes /approvals and /approvals/ID to the inbox', () => {
    expect(parseRoute('/approvals')).toEqual({ view: 'approvals', id: null });
    expect(parseRoute('/approvals/ap_7KQ2M9XD')).toEqual({ view: 'approvals', id: 'ap_7KQ2M9XD' });
  });

  it('says plainly that an approval was decided meanwhile (409)', () => {
    const error = new ApiCallError(409, 'not_pending', 'approval ap_X is no longer pending: it was expired', {
      status: 'expired',
    });
    expect(decisionError(error)).toBe(
      'Already decided: approval ap_X is no longer pending: it was expired (HTTP 409)',
    );
  });
});

describe('approval card', () => {
  const props = {
    nowUs: 61_000_000,
    selected: true,
    busy: false,
    error: null,
    reasonFocus: 0,
    onSelect: () => undefined,
  };

  it('shows a pending approval: chips, rule, SQL highlighted, estimate, prompt, requester, time left', () => {
    const onDecide = vi.fn();
    render(<ApprovalCard approval={approval('ap_1')} onDecide={onDecide} {...props} />);
    expect([...screen.getByTestId('chips').children].map((c) => c.textContent)).toEqual([
      'DELETE',
      'no WHERE',
      'public.orders',
    ]);
    expect(screen.getByTestId('rule-message').textContent).toBe('DELETE without WHERE needs an approval');
    expect(document.querySelector('.sql .hljs-keyword')?.textContent).toBe('DELETE');
    expect(screen.getByTestId('estimate').textContent).toBe('≈ 12,000 rows of public.orders');
    expect(screen.getByTestId('prompt').textContent).toContain('clean up old orders');
    expect(screen.getByTestId('prompt-session').getAttribute('href')).toBe('/s/CLAUDE01');
    expect(screen.getByTestId('requester').textContent).toMatch(/alice.*psql.*shop.*session/);
    expect(screen.getByTestId('session-link').getAttribute('href')).toBe('/s/01JSESSION00000000000000AB');
    expect(screen.getByTestId('time-left').textContent).toBe('4:00 left');
    // Deny needs a reason.
    expect((screen.getByTestId('deny') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId('deny-reason'), { target: { value: 'not on prod' } });
    fireEvent.click(screen.getByTestId('deny'));
    fireEvent.click(screen.getByTestId('approve-session'));
    expect(onDecide.mock.calls.map((call) => call[1])).toEqual([
      { deny: 'not on prod' },
      { approve: 'session' },
    ]);
  });

  it('shows who decided a decided approval, when, how far, why, and self-approval', () => {
    const decided = approval('ap_2', {
      status: 'approved',
      decided_at: 2_000_000,
      decided_by: { os_user: 'bob', via: 'dashboard', self_approved: true },
      reason: 'known cleanup',
      scope: { type: 'once' },
    });
    render(<ApprovalCard approval={decided} onDecide={() => undefined} {...props} />);
    expect(screen.getByTestId('decided-by').textContent).toBe('bob');
    expect(screen.getByTestId('decision').textContent).toMatch(/^approved by bob via dashboard at .* · once/);
    expect(screen.getByTestId('self-approved')).toBeTruthy();
    expect(screen.getByTestId('decision-reason').textContent).toBe('“known cleanup”');
    expect(screen.queryByTestId('approve-once')).toBeNull();
    expect(screen.queryByTestId('time-left')).toBeNull();
  });

  it("shows a routed approval as the group's, with no actions unless the rule allows self-approval", () => {
    const route = { group: 'db-approvers', allowSelfApproval: false };
    const routed = approval('ap_4', {
      subject: subject({
        rule: { id: 'team.deletes', message: 'deletes need a DBA', builtin: false, route },
      }),
    });
    render(<ApprovalCard approval={routed} onDecide={() => undefined} {...props} />);
    expect(screen.getByTestId('routed').textContent).toBe(
      'Routed to group db-approvers on the team server: an approver of that group decides it.',
    );
    expect(screen.queryByTestId('approve-once')).toBeNull();
    cleanup();
    const selfOk = approval('ap_5', {
      subject: subject({
        rule: {
          id: 'team.deletes',
          message: 'm',
          builtin: false,
          route: { ...route, allowSelfApproval: true },
        },
      }),
    });
    render(<ApprovalCard approval={selfOk} onDecide={() => undefined} {...props} />);
    expect(screen.getByTestId('routed').textContent).toContain('the rule lets you decide it here too');
    expect(screen.getByTestId('approve-once')).toBeTruthy();
  });

  it('renders a shell command as text and an API error in an alert', () => {
    const bash = approval('ap_3', {
      subject: subject({ kind: 'bash', text: 'rm -rf /tmp/x', facts: { kind: 'tool', tool: 'Bash' } }),
    });
    render(<ApprovalCard approval={bash} onDecide={() => undefined} {...props} error="Already decided: x" />);
    expect(screen.getByTestId('operation').textContent).toBe('$ rm -rf /tmp/x');
    expect(screen.getByRole('alert').textContent).toBe('Already decided: x');
  });
});
