import type { PolicyTableResponse, PreviewCell } from '../../../proxy/api/types';
import { actionLabel } from './PolicyList';

type Columns = PolicyTableResponse['columns'];

/** A column's header: its name, and the column rule that applies to it. */
function Header({ column }: { column: Columns[number] }) {
  const title = `${column.table ?? 'expression'} · ${
    column.rule
      ? `${column.rule.rule}: ${actionLabel(column.rule.action)}, ${column.rule.wire ? 'wire and storage' : 'storage'}`
      : 'no column rule'
  }`;
  return (
    <th title={title}>
      {column.name}
      {column.rule ? <span className="col-rule">{column.rule.wire ? 'wire' : 'stored'}</span> : null}
    </th>
  );
}

/**
 * One view of a preview's rows: the database's values (plain) or a masked view's cells, masked cells
 * highlighted and titled with what masked them. `label` names the view for tests and screen readers.
 */
export function RowsTable({
  label,
  columns,
  rows,
}: {
  label: string;
  columns: Columns;
  rows: Array<Array<string | null>> | PreviewCell[][];
}) {
  return (
    <div className="sample-rows">
      <table aria-label={label} data-testid={`rows-${label.toLowerCase().replaceAll(' ', '-')}`}>
        <thead>
          <tr>
            {columns.map((column, i) => (
              <Header key={i} column={column} />
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r}>
              {row.map((entry, c) => {
                const cell: PreviewCell =
                  entry !== null && typeof entry === 'object' ? entry : { value: entry, masked_by: [] };
                const masked = cell.masked_by.length > 0;
                const classes = [cell.value === null ? 'null' : '', masked ? 'masked-cell' : '']
                  .join(' ')
                  .trim();
                return (
                  <td
                    key={c}
                    className={classes || undefined}
                    title={masked ? `masked by ${cell.masked_by.join(', ')}` : undefined}
                  >
                    {cell.value === null ? 'NULL' : cell.value}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
