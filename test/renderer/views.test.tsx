// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../proxy/api/types';
import { takeToken } from '../../renderer/src/api/token';
import { buildConversation } from '../../renderer/src/claude/conversation';
import { TurnView } from '../../renderer/src/claude/TurnView';
import { dollars, sessionCost } from '../../renderer/src/format';
import { StatementView } from '../../renderer/src/postgres/StatementView';
import { buildStatements } from '../../renderer/src/postgres/statements';
import { advance, buildAxis, revealedCount } from '../../renderer/src/replay/axis';

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
    path: '/v1/messages',
    body: { model: 'claude-x', system: 'Be brief.', messages },
  });

const turn = (seq: number, ts: number, requestSeq: number, content: unknown[], stop = 'end_turn') =>
  event(seq, ts, 'llm.turn', {
    request_seq: requestSeq,
    outcome: 'complete',
    status: 200,
    model: 'claude-x',
    response: { content, stop_reason: stop },
    usage: { input_tokens: 10, output_tokens: 5 },
    cost_usd: 0.0001,
    timings: { headers_us: 1_000, first_token_us: 2_000, total_us: 50_000 },
  });

const toolUse = { type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } };
const claudeEvents = [
  request(1, 1_000_000, [{ role: 'user', content: 'list files' }]),
  turn(2, 1_050_000, 1, [{ type: 'thinking', thinking: 'hmm' }, toolUse], 'tool_use'),
  request(3, 2_000_000, [
    { role: 'user', content: 'list files' },
    { role: 'assistant', content: [toolUse] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'a.txt' }] },
  ]),
  turn(4, 2_050_000, 3, [
    { type: 'text', text: 'Found <b>a.txt</b> and **more** <script>alert(1)</script>' },
  ]),
];

afterEach(cleanup);

describe('conversation model and view', () => {
  it('pairs requests with turns and keeps only what each turn added', () => {
    const items = buildConversation(claudeEvents);
    expect(items.map((i) => i.type)).toEqual(['turn', 'turn']);
    const [first, second] = items.map((i) => (i.type === 'turn' ? i.turn : null));
    expect(first!.newMessages).toEqual([{ role: 'user', content: 'list files' }]);
    expect(second!.newMessages.map((m) => m.role)).toEqual(['user']); // the echoed assistant reply is dropped
    expect(second!.systemChanged).toBe(false);
    expect(first!.endTs).toBe(1_050_000);
  });

  it('renders tool calls pretty-printed, tool results, collapsed thinking, Markdown without raw HTML', () => {
    const items = buildConversation(claudeEvents);
    const turns = items.map((i) => (i.type === 'turn' ? i.turn : null));
    const { container } = render(
      <>
        <TurnView turn={turns[0]!} index={1} pending={false} />
        <TurnView turn={turns[1]!} index={2} pending={false} />
      </>,
    );
    expect(screen.getByTestId('tool-call').textContent).toContain('"command": "ls"');
    expect(screen.getByTestId('tool-result').textContent).toContain('a.txt');
    expect(container.querySelector('.thinking .plain')).toBeNull(); // collapsed: a one-line summary only
    fireEvent.click(screen.getByText('Thinking'));
    expect(container.querySelector('.thinking .plain')?.textContent).toBe('hmm');
    expect(container.querySelector('strong')?.textContent).toBe('more');
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('.md b')).toBeNull();
    expect(screen.getAllByText(/TTFT 2\.0 ms/)).toHaveLength(2);
  });

  it('shows the partial reply of a turn still streaming, and says it is streaming', () => {
    const items = buildConversation(claudeEvents.slice(0, 1), [
      {
        session_id: 'S',
        request_seq: 1,
        kind: 'llm.turn',
        started_at: 1_000_000,
        updated_at: 1_020_000,
        partial: { outcome: 'streaming', response: { content: [{ type: 'text', text: 'Half a sentence' }] } },
      },
    ]);
    const streaming = items[0]!.type === 'turn' ? items[0]!.turn : null;
    render(<TurnView turn={streaming!} index={1} pending={false} />);
    expect(screen.getByTestId('partial-reply').textContent).toContain('Half a sentence');
    expect(screen.getByText('reply streaming…')).toBeTruthy();
  });

  it('shows a pending turn as still responding during replay', () => {
    const items = buildConversation(claudeEvents);
    const first = items[0]!.type === 'turn' ? items[0]!.turn : null;
    render(<TurnView turn={first!} index={1} pending={true} />);
    expect(screen.getByText('Claude is responding…')).toBeTruthy();
    expect(screen.queryByTestId('tool-call')).toBeNull();
  });
});

describe('statement timeline', () => {
  const pgEvents = [
    event(1, 10, 'pg.statement', {
      protocol: 'extended',
      sql: 'select $1::int',
      params: [{ value: '7', format: 'text' }],
    }),
    event(2, 20, 'pg.notice', { severity: 'NOTICE', message: 'hello' }),
    event(3, 30, 'pg.result', {
      statement_seq: 1,
      outcome: 'complete',
      tags: ['SELECT 1'],
      rows: 1,
      duration_us: 400,
      columns: [{ name: 'int4' }],
      sample: [['7']],
    }),
    event(4, 40, 'pg.statement', { protocol: 'simple', sql: 'select * from nope', params: [] }),
    event(5, 50, 'pg.result', {
      statement_seq: 4,
      outcome: 'error',
      duration_us: 100,
      error: { sqlstate: '42P01', message: 'relation "nope" does not exist' },
    }),
  ];

  it('pairs statements with results and keeps notices in place', () => {
    const items = buildStatements(pgEvents);
    expect(items.map((i) => i.type)).toEqual(['statement', 'event', 'statement']);
    const second = items[2]!.type === 'statement' ? items[2]!.statement : null;
    expect(second!.error?.sqlstate).toBe('42P01');
    expect(second!.endTs).toBe(140);
  });

  it('renders SQL highlighted, parameters, the sample table and the SQLSTATE', () => {
    const items = buildStatements(pgEvents).flatMap((i) => (i.type === 'statement' ? [i.statement] : []));
    const { container } = render(
      <>
        <StatementView statement={items[0]!} maxDurationUs={400} pending={false} />
        <StatementView statement={items[1]!} maxDurationUs={400} pending={false} />
      </>,
    );
    expect(container.querySelector('.hljs-keyword')?.textContent).toBe('select');
    expect(container.querySelector('.params')?.textContent).toContain("'7'");
    expect(container.querySelector('td')?.textContent).toBe('7');
    expect(screen.getByTestId('sql-error').querySelector('.sqlstate')?.textContent).toBe('42P01');
  });
});

describe("a statement's result sample", () => {
  const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => [String(i + 1), `name ${i + 1}`]);
  const sampled = (sample: string[][], rows: number, truncated: boolean) =>
    buildStatements([
      event(1, 10, 'pg.statement', { protocol: 'simple', sql: 'select * from items', params: [] }),
      event(2, 20, 'pg.result', {
        statement_seq: 1,
        outcome: 'complete',
        tags: [`SELECT ${rows}`],
        rows,
        duration_us: 400,
        columns: [{ name: 'id' }, { name: 'name' }],
        sample,
        sample_truncated: truncated,
      }),
    ]).flatMap((i) => (i.type === 'statement' ? [i.statement] : []))[0]!;

  it('shows every recorded row and says how many of the result were recorded', () => {
    const { container } = render(
      <StatementView statement={sampled(rowsOf(20), 50, true)} maxDurationUs={400} pending={false} />,
    );
    expect(container.querySelectorAll('.sample tbody tr')).toHaveLength(20);
    expect(container.querySelector('.sample tbody tr:last-child td')?.textContent).toBe('20');
    expect(screen.getByTestId('sample-note').textContent).toBe('first 20 rows recorded of 50');
  });

  it('says nothing more of a sample that holds the whole result', () => {
    const { container } = render(
      <StatementView statement={sampled(rowsOf(12), 12, false)} maxDurationUs={400} pending={false} />,
    );
    expect(container.querySelectorAll('.sample tbody tr')).toHaveLength(12);
    expect(screen.queryByTestId('sample-note')).toBeNull();
  });

  it('says when the sample is the first result set of several', () => {
    render(<StatementView statement={sampled(rowsOf(1), 3, false)} maxDurationUs={400} pending={false} />);
    expect(screen.getByTestId('sample-note').textContent).toBe(
      '1 row recorded of 3, from the first result set',
    );
  });
});

describe('costs', () => {
  it('shows amounts under a cent to two significant digits, so turns add up to the session total', () => {
    expect(dollars(0.00034)).toBe('$0.00034');
    expect(dollars(0.00068)).toBe('$0.00068');
    expect(dollars(0.0042)).toBe('$0.0042');
    expect(dollars(0.000001234)).toBe('$0.0000012');
    expect(dollars(0.0099)).toBe('$0.0099');
    expect(dollars(1.27)).toBe('$1.27');
    expect(dollars(0)).toBe('$0');
    expect(sessionCost(0.00068, 0)).toBe('$0.00068');
  });

  it("shows a turn's cost as the session total counts it", () => {
    const [first] = buildConversation([
      claudeEvents[0]!,
      { ...claudeEvents[1]!, payload: { ...(claudeEvents[1]!.payload as object), cost_usd: 0.00034 } },
    ]).flatMap((i) => (i.type === 'turn' ? [i.turn] : []));
    render(<TurnView turn={first!} index={1} pending={false} />);
    expect(screen.getByTitle('estimated cost').textContent).toBe('$0.00034');
  });
});

describe('replay axis', () => {
  it('splits time into model, tool and database spans and reveals entries in order', () => {
    const items = buildConversation(claudeEvents);
    const axis = buildAxis(items, 1_000_000);
    expect(axis.segments).toEqual([
      { kind: 'model', start: 1_000_000, end: 1_050_000 },
      { kind: 'tool', start: 1_050_000, end: 2_000_000 },
      { kind: 'model', start: 2_000_000, end: 2_050_000 },
    ]);
    expect(revealedCount(items, 1_500_000)).toBe(1);
    expect(revealedCount(items, 2_000_000)).toBe(2);
    expect(advance(axis, 1_000_000, 10, 16)).toBe(1_160_000);
    expect(advance(axis, 2_040_000, 1_000, 16)).toBe(axis.end);
  });

  it('shortens long waits in playback', () => {
    const items = buildStatements([
      event(1, 0, 'pg.statement', { sql: 'select 1' }),
      event(2, 100, 'pg.result', { statement_seq: 1, duration_us: 100 }),
      event(3, 60_000_000, 'pg.statement', { sql: 'select 2' }),
    ]);
    const axis = buildAxis(items, 0);
    expect(advance(axis, 200, 16, 1)).toBe(60_000_000 - 3_000_000);
  });
});

describe('token hand-over', () => {
  it('takes the token from the fragment once, stores it and strips it from the address bar', () => {
    window.history.replaceState(null, '', '/s/ABC#token=secret-token');
    sessionStorage.clear();
    expect(takeToken(window.location, sessionStorage, window.history)).toBe('secret-token');
    expect(window.location.href).not.toContain('secret-token');
    expect(window.location.pathname).toBe('/s/ABC');
    expect(sessionStorage.getItem('glassbox.token')).toBe('secret-token');
    expect(takeToken(window.location, sessionStorage, window.history)).toBe('secret-token');
  });
});
