// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyTableResponse, PolicyView } from '../../proxy/api/types';
import { parsePolicy } from '../../proxy/policy/document';
import { describeDetectors } from '../../proxy/policy/preview/text';
import { compileLayered } from '../../proxy/policy/team-layers';
import { parseRoute } from '../../renderer/src/App';
import { MaskedText } from '../../renderer/src/masking/MaskedText';
import { PolicyList } from '../../renderer/src/masking/PolicyList';
import { RowsTable } from '../../renderer/src/masking/RowsTable';
import { parseDraft } from '../../renderer/src/masking/usePolicy';

afterEach(cleanup);

describe('masking view parts', () => {
  it('marks what the team policy decides, and says a team policy applies', () => {
    const team = { columns: [{ match: 'salary', action: 'redact' }] };
    const compiled = compileLayered(
      { version: 7, raw: team, document: parsePolicy(team, 'team') },
      parsePolicy({ columns: [{ match: 'salary', action: 'none' }] }, 'local'),
      { hashKey: Buffer.alloc(32) },
    );
    const view: PolicyView = { ...compiled.effective, detectors: describeDetectors(compiled) };
    render(<PolicyList policy={view} />);
    expect(screen.getByTestId('policy-team').textContent).toContain('version 7');
    const rows = screen.getAllByText('salary').map((el) => el.closest('li')!.textContent);
    expect(rows).toEqual([expect.stringContaining('team'), expect.not.stringContaining('team')]);
  });

  it('routes /masking to the masking view', () => {
    expect(parseRoute('/masking')).toEqual({ view: 'masking' });
    expect(parseRoute('/masking/x')).toEqual({ view: 'list' });
  });

  it('reads an empty draft as the defaults and says why JSON does not parse', () => {
    expect(parseDraft('  ')).toEqual({ ok: true, value: {} });
    expect(parseDraft('{"custom": []}')).toEqual({ ok: true, value: { custom: [] } });
    const broken = parseDraft('{"custom": [}');
    expect(broken.ok).toBe(false);
  });

  it('highlights each masked span by its detector and shows markup in a text as text', () => {
    const text = '<img src=x onerror=alert(1)> to [MASKED:pii.email] ok';
    const start = text.indexOf('[');
    const end = text.indexOf(']') + 1;
    render(<MaskedText text={text} highlights={[{ start, end, label: 'pii.email' }]} testId="out" />);
    const out = screen.getByTestId('out');
    expect(out.textContent).toBe(text);
    expect(out.querySelector('img')).toBeNull();
    const marks = out.querySelectorAll('mark');
    expect([...marks].map((m) => [m.textContent, m.getAttribute('data-detector')])).toEqual([
      ['[MASKED:pii.email]', 'pii.email'],
    ]);
  });

  it('marks masked cells and NULLs in a rows table', () => {
    const columns: PolicyTableResponse['columns'] = [
      { name: 'id', table: 'public.t', type_oid: 23, rule: null },
      {
        name: 'email',
        table: 'public.t',
        type_oid: 25,
        rule: { action: { type: 'redact' }, wire: true, rule: 'column.email' },
      },
    ];
    render(
      <RowsTable
        label="Agent"
        columns={columns}
        rows={[
          [
            { value: '1', masked_by: [] },
            { value: '[MASKED:column.email]', masked_by: ['column.email'] },
          ],
          [
            { value: '2', masked_by: [] },
            { value: null, masked_by: [] },
          ],
        ]}
      />,
    );
    const table = screen.getByTestId('rows-agent');
    expect([...table.querySelectorAll('td.masked-cell')].map((td) => td.textContent)).toEqual([
      '[MASKED:column.email]',
    ]);
    expect(table.querySelector('td.masked-cell')?.getAttribute('title')).toBe('masked by column.email');
    expect([...table.querySelectorAll('td.null')].map((td) => td.textContent)).toEqual(['NULL']);
    expect(table.querySelector('th')?.nextElementSibling?.textContent).toBe('emailwire');
  });
});
