// @vitest-environment jsdom
/**
 * Who says what in a Claude conversation: the shapes Claude Code 2.1.330 really sends (a `system`-role
 * message with its "# Environment" note, `<system-reminder>` blocks before the prompt, the note resent as a
 * string the next turn), messages of roles the API may add later, and a request retried after failures.
 * test/e2e/claude-code-dashboard.test.ts shows the same with the real CLI in Chromium.
 */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../proxy/api/types';
import { buildConversation, type Turn } from '../../renderer/src/claude/conversation';
import { TurnView } from '../../renderer/src/claude/TurnView';

const event = (seq: number, ts: number, kind: string, payload: unknown): RecordedEvent => ({
  session_id: 'S',
  seq,
  ts,
  kind,
  payload,
  hash: 'h',
});
const request = (seq: number, ts: number, messages: unknown[]) =>
  event(seq, ts, 'http.request', {
    method: 'POST',
    path: '/v1/messages?beta=true',
    body: { model: 'claude-opus-5-5', system: [{ type: 'text', text: 'You are Claude Code.' }], messages },
  });
const reply = (seq: number, ts: number, requestSeq: number, content: unknown[], stop = 'end_turn') =>
  event(seq, ts, 'llm.turn', {
    request_seq: requestSeq,
    outcome: 'complete',
    status: 200,
    model: 'claude-opus-5-5',
    response: { content, stop_reason: stop },
    usage: { input_tokens: 10, output_tokens: 5 },
    cost_usd: 0.0001,
    timings: { headers_us: 1_000, first_token_us: 2_000, total_us: 50_000 },
  });
const failure = (seq: number, ts: number, requestSeq: number) =>
  event(seq, ts, 'llm.turn', {
    request_seq: requestSeq,
    outcome: 'error',
    status: 529,
    model: 'claude-opus-5-5',
    error: { type: 'overloaded_error', message: 'Overloaded' },
    timings: { headers_us: 1_000, first_token_us: null, total_us: 2_000 },
  });

const REMINDER = '<system-reminder>\nAttribution for git commits: add a trailer.\n</system-reminder>';
const ENVIRONMENT = `# Environment\nYou have been invoked in the following environment:\n${'- detail\n'.repeat(1_000)}`;
const prompt = {
  role: 'user',
  content: [
    { type: 'text', text: REMINDER },
    { type: 'text', text: 'run echo hi' },
  ],
};
const toolUse = { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'echo hi' } };
const claudeCode = [
  request(1, 1_000_000, [prompt, { role: 'system', content: [{ type: 'text', text: ENVIRONMENT }] }]),
  reply(2, 1_050_000, 1, [{ type: 'text', text: 'I will run it.' }, toolUse], 'tool_use'),
  request(3, 2_000_000, [
    prompt,
    { role: 'system', content: ENVIRONMENT }, // the second turn resends the note as a string
    { role: 'assistant', content: [{ type: 'text', text: 'I will run it.' }, toolUse] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'hi' }] },
  ]),
  reply(4, 2_050_000, 3, [{ type: 'text', text: 'All done.' }]),
];

const turnsOf = (events: RecordedEvent[]): Turn[] =>
  buildConversation(events).flatMap((item) => (item.type === 'turn' ? [item.turn] : []));

afterEach(cleanup);

describe('speakers of a Claude Code conversation', () => {
  it('shows the system-role note and system reminders as collapsed System notes, not as the assistant', () => {
    const [first] = turnsOf(claudeCode);
    const { container } = render(<TurnView turn={first!} index={1} pending={false} />);
    const roles = [...container.querySelectorAll('.msg > .role')].map((r) => r.textContent);
    expect(roles).toEqual(['System', 'User', 'System', 'Claude']);
    expect(container.textContent).not.toMatch(/assistant/i);
    // Collapsed: a one-line summary, not the 9 KB of text.
    expect(container.textContent).not.toContain('- detail');
    expect(container.textContent).not.toContain('<system-reminder>');
    expect(screen.getByText('run echo hi')).toBeTruthy();
    const notes = screen.getAllByTestId('system-note');
    expect(notes).toHaveLength(2);
    expect(notes[1]!.textContent).toContain('# Environment');
    fireEvent.click(notes[1]!.querySelector('button')!);
    expect(container.textContent).toContain('- detail');
  });

  it('labels the model "Claude" both as the reply and when its message is sent back', () => {
    const [, second] = turnsOf(claudeCode);
    expect(second!.newMessages.map((m) => m.role)).toEqual(['user']);
    const prefilled = turnsOf([
      request(1, 1_000_000, [
        { role: 'user', content: 'Name a colour' },
        { role: 'assistant', content: 'The colour is' },
      ]),
      reply(2, 1_050_000, 1, [{ type: 'text', text: ' teal.' }]),
    ]);
    const { container } = render(<TurnView turn={prefilled[0]!} index={1} pending={false} />);
    const roles = [...container.querySelectorAll('.msg > .role')].map((r) => r.textContent);
    expect(roles).toEqual(['User', 'Claude', 'Claude']);
  });

  it('names a role it does not know as it is, never as the assistant', () => {
    const [turn] = turnsOf([
      request(1, 1_000_000, [
        { role: 'developer', content: 'Prefer short answers.' },
        { role: 'user', content: 'hello' },
      ]),
      reply(2, 1_050_000, 1, [{ type: 'text', text: 'Hi.' }]),
    ]);
    const { container } = render(<TurnView turn={turn!} index={1} pending={false} />);
    const roles = [...container.querySelectorAll('.msg > .role')].map((r) => r.textContent);
    expect(roles).toEqual(['developer', 'User', 'Claude']);
    expect(screen.getByText('Prefer short answers.')).toBeTruthy();
  });

  it('keeps text around a reminder inside one text block as the user’s, the reminder as a System note', () => {
    const [turn] = turnsOf([
      request(1, 1_000_000, [{ role: 'user', content: `before ${REMINDER} after` }]),
      reply(2, 1_050_000, 1, [{ type: 'text', text: 'ok' }]),
    ]);
    const { container } = render(<TurnView turn={turn!} index={1} pending={false} />);
    const roles = [...container.querySelectorAll('.msg > .role')].map((r) => r.textContent);
    expect(roles).toEqual(['User', 'System', 'User', 'Claude']);
    expect(screen.getByTestId('system-note').textContent).toContain('Attribution for git commits');
    const user = [...container.querySelectorAll('.msg-user')].map((m) => m.textContent);
    expect(user).toEqual(['Userbefore', 'Userafter']);
  });
});

describe('a request retried after failures', () => {
  const messages = [{ role: 'user', content: 'count the narwhals' }];
  const retried = [
    request(1, 1_000_000, messages),
    failure(2, 1_002_000, 1),
    request(3, 1_500_000, messages),
    failure(4, 1_502_000, 3),
    request(5, 2_500_000, messages),
    reply(6, 2_550_000, 5, [{ type: 'text', text: 'Seven.' }]),
  ];

  it('is one turn with its attempts, not three turns of a new context each', () => {
    const turns = turnsOf(retried);
    expect(turns).toHaveLength(1);
    const [turn] = turns;
    expect(turn!.contextReset).toBe(false);
    expect(turn!.requestSeq).toBe(1);
    expect(turn!.ts).toBe(1_000_000);
    expect(turn!.endTs).toBe(2_550_000);
    expect(turn!.outcome).toBe('complete');
    expect(turn!.retries.map((a) => [a.requestSeq, a.status, a.error?.type])).toEqual([
      [1, 529, 'overloaded_error'],
      [3, 529, 'overloaded_error'],
    ]);
    const { container } = render(<TurnView turn={turn!} index={1} pending={false} />);
    expect(screen.getByTestId('retries').textContent).toContain(
      'Retried3 attempts over 1.55 s — 2 failed, then succeeded: HTTP 529 overloaded_error ×2',
    );
    // The turn lasted from its first attempt to the end of its last, not only the last attempt's 50 ms.
    expect(container.querySelector('[title="total duration"]')?.textContent).toBe('1.55 s over 3 attempts');
    expect(screen.queryByText(/New context/)).toBeNull();
    expect(screen.getByText('Seven.')).toBeTruthy();
  });

  it('groups attempts that all failed, and a retry still in flight', () => {
    const turns = turnsOf([...retried.slice(0, 4), request(5, 2_500_000, messages)]);
    expect(turns).toHaveLength(1);
    expect(turns[0]!.retries).toHaveLength(2);
    expect(turns[0]!.turnSeq).toBeNull();
    const failedOnly = turnsOf(retried.slice(0, 4));
    expect(failedOnly).toHaveLength(1);
    expect(failedOnly[0]!.outcome).toBe('error');
    expect(failedOnly[0]!.retries).toHaveLength(1);
    // A failed request used no tokens: it costs nothing rather than being "unpriced".
    const { container } = render(<TurnView turn={failedOnly[0]!} index={1} pending={false} />);
    expect(container.textContent).not.toContain('unpriced');
  });

  it('counts the last attempt’s failure too when every attempt failed', () => {
    const [turn] = turnsOf([
      ...retried.slice(0, 4),
      request(5, 2_500_000, messages),
      failure(6, 2_502_000, 5),
    ]);
    expect(turn!.retries).toHaveLength(2);
    const { container } = render(<TurnView turn={turn!} index={1} pending={false} />);
    expect(screen.getByTestId('retries').textContent).toContain(
      '3 attempts over 1.50 s — all failed: HTTP 529 overloaded_error ×3',
    );
    expect(container.querySelector('[title="total duration"]')?.textContent).toBe('1.50 s over 3 attempts');
    // The attempts listed: the two earlier ones and the last, each with how it ended.
    fireEvent.click(screen.getByText('Retried'));
    const attempts = [...container.querySelectorAll('.attempts li')].map((li) => li.textContent);
    expect(attempts).toHaveLength(3);
    expect(attempts[2]).toMatch(/^#5 .*HTTP 529 overloaded_error Overloaded · 2\.0 ms$/);
  });

  it('says how many failed and that the last is still in flight', () => {
    const [turn] = turnsOf([...retried.slice(0, 4), request(5, 2_500_000, messages)]);
    render(<TurnView turn={turn!} index={1} pending={false} />);
    expect(screen.getByTestId('retries').textContent).toContain(
      '3 attempts — 2 failed, the last still in flight: HTTP 529 overloaded_error ×2',
    );
  });

  it('does not group a request repeated after a complete reply, nor a different request after a failure', () => {
    const repeated = turnsOf([
      request(1, 1_000_000, messages),
      reply(2, 1_050_000, 1, [{ type: 'text', text: 'Seven.' }]),
      request(3, 2_000_000, messages),
      reply(4, 2_050_000, 3, [{ type: 'text', text: 'Seven.' }]),
    ]);
    expect(repeated).toHaveLength(2);
    const different = turnsOf([
      request(1, 1_000_000, messages),
      failure(2, 1_002_000, 1),
      request(3, 2_000_000, [{ role: 'user', content: 'count the walruses' }]),
    ]);
    expect(different).toHaveLength(2);
    expect(different.every((t) => t.retries.length === 0)).toBe(true);
  });
});
