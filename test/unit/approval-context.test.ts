import { describe, expect, it } from 'vitest';
import { systemWorkingDirectory } from '../../proxy/anthropic/tool-use-guard.js';
import { lastUserText } from '../../proxy/policy/approvals/driving-prompt.js';
import { planEstimate } from '../../proxy/postgres/row-estimate.js';

describe('the latest user text of a Messages request', () => {
  it('skips tool results, Claude Code reminders and assistant turns', () => {
    const messages = [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'drop the stale orders' },
          { type: 'text', text: '<system-reminder>todo list is empty</system-reminder>' },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't2', name: 'Bash', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't2', content: 'ok' }] },
    ];
    expect(lastUserText(messages)).toBe('drop the stale orders');
    expect(
      lastUserText([
        { role: 'user', content: '  ' },
        { role: 'assistant', content: 'x' },
      ]),
    ).toBe(undefined);
    expect(lastUserText([null, 'text', { role: 'user', content: 'plain' }])).toBe('plain');
  });
});

describe("the working directory in Claude Code's system prompt", () => {
  it('reads the current and the older wording, in a string or in text blocks', () => {
    expect(systemWorkingDirectory({ system: 'x\n<env>\nWorking directory: /home/a/p\n</env>' })).toBe(
      '/home/a/p',
    );
    const blocks = [
      { type: 'text', text: 'You are Claude Code.' },
      { type: 'text', text: 'Env:\n - Primary working directory: /srv/app \n - Is a git repository: true' },
    ];
    expect(systemWorkingDirectory({ system: blocks })).toBe('/srv/app');
    expect(systemWorkingDirectory({ system: 'Working directory: relative/path' })).toBe(undefined);
    expect(systemWorkingDirectory({ messages: [] })).toBe(undefined);
  });
});

describe('the planner estimate in EXPLAIN (VERBOSE, FORMAT JSON)', () => {
  const plan = (top: Record<string, unknown>) => JSON.stringify([{ Plan: top }]);
  it('reads the rows feeding a ModifyTable and the table it names with its schema', () => {
    const scan = { 'Node Type': 'Seq Scan', 'Plan Rows': 11_998.6 };
    const modify = {
      'Node Type': 'ModifyTable',
      Operation: 'Delete',
      'Relation Name': 'orders',
      Schema: 'shop',
      'Plan Rows': 0,
      Plans: [scan],
    };
    expect(planEstimate(plan(modify))).toEqual({ estimated_rows: 11_999, estimate_of: 'shop.orders' });
    expect(planEstimate(plan({ ...modify, Schema: undefined }))?.estimate_of).toBe('orders');
  });
  it('gives nothing for other plans or broken text', () => {
    expect(planEstimate(plan({ 'Node Type': 'CTE Scan', 'Plan Rows': 5 }))).toBe(undefined);
    expect(planEstimate('not json')).toBe(undefined);
    expect(planEstimate(JSON.stringify({ Plan: {} }))).toBe(undefined);
    expect(
      planEstimate(plan({ 'Node Type': 'ModifyTable', 'Relation Name': 't', Plans: [{ 'Plan Rows': -1 }] })),
    ).toBe(undefined);
  });
});
