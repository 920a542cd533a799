import { useEffect, useState } from 'react';
import type { PolicyConnection, PolicyTableResponse } from '../../../proxy/api/types';
import { useApi } from '../api/context';
import { RowsTable } from './RowsTable';
import type { ParsedDraft } from './usePolicy';
import { useRequest } from './useRequest';

type Source = 'table' | 'sql';
type Right = 'agent' | 'stored';

/**
 * The table preview: pick a PostgreSQL connection and a table (or type a SELECT); Glassbox runs it upstream
 * read-only (LIMIT 20) and shows the rows as the database has them beside the rows as the agent will see
 * them under the draft — or as Glassbox will store them — masked cells highlighted. Never recorded.
 */
export function TablePreview({
  draft,
  usable,
  connections,
}: {
  draft: ParsedDraft;
  usable: boolean;
  connections: PolicyConnection[];
}) {
  const client = useApi();
  const [connection, setConnection] = useState(connections[0]?.name ?? '');
  const [tables, setTables] = useState<Array<{ schema: string; name: string }>>([]);
  const [table, setTable] = useState('');
  const [source, setSource] = useState<Source>('table');
  const [sql, setSql] = useState('SELECT * FROM ');
  const [right, setRight] = useState<Right>('agent');
  const request = useRequest<PolicyTableResponse>();
  const { busy, result, failure, fail } = request;

  useEffect(() => {
    if (!connection) return;
    setTables([]);
    setTable('');
    client.policyTables(connection).then(
      (answer) => {
        setTables(answer.tables);
        const first = answer.tables[0];
        setTable(first ? JSON.stringify(first) : '');
      },
      (error: Error) => fail(`Could not list the tables: ${error.message}`),
    );
  }, [client, connection, fail]);

  if (connections.length === 0) {
    return (
      <div className="preview-pane">
        <p className="small">No PostgreSQL connection yet. Add one, then preview its tables here:</p>
        <pre className="code">glassbox pg add NAME --upstream postgres://USER@HOST:5432/DATABASE</pre>
      </div>
    );
  }
  const run = () => {
    if (!draft.ok) return;
    const target =
      source === 'sql'
        ? { sql }
        : { table: JSON.parse(table || '{"name":""}') as { schema: string; name: string } };
    const value = draft.value;
    request.run(() => client.previewTable({ draft: value, connection, ...target }));
  };
  return (
    <div className="preview-pane">
      <div className="preview-controls">
        <select
          className="input"
          aria-label="Connection"
          data-testid="table-connection"
          value={connection}
          onChange={(event) => setConnection(event.target.value)}
        >
          {connections.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name} ({c.database})
            </option>
          ))}
        </select>
        <span className="seg">
          {(['table', 'sql'] as const).map((s) => (
            <button
              key={s}
              type="button"
              aria-pressed={source === s}
              className={`btn${source === s ? ' on' : ''}`}
              onClick={() => setSource(s)}
            >
              {s === 'table' ? 'Table' : 'SELECT'}
            </button>
          ))}
        </span>
        {source === 'table' ? (
          <select
            className="input"
            aria-label="Table"
            data-testid="table-name"
            value={table}
            onChange={(event) => setTable(event.target.value)}
          >
            {tables.map((t) => (
              <option key={`${t.schema}.${t.name}`} value={JSON.stringify(t)}>
                {t.schema}.{t.name}
              </option>
            ))}
          </select>
        ) : null}
        <button
          type="button"
          className="btn"
          data-testid="table-run"
          onClick={run}
          disabled={!usable || busy || (source === 'table' && !table)}
        >
          {busy ? 'Running…' : 'Run read-only'}
        </button>
        {!usable ? <span className="faint small">Fix the draft first.</span> : null}
      </div>
      {source === 'sql' ? (
        <textarea
          className="input sql-text mono"
          aria-label="SELECT to preview"
          data-testid="table-sql"
          spellCheck={false}
          value={sql}
          onChange={(event) => setSql(event.target.value)}
        />
      ) : null}
      {failure ? (
        <p className="error-text small" data-testid="table-error">
          {failure}
        </p>
      ) : null}
      {result ? <Rows result={result} right={right} onRight={setRight} /> : null}
    </div>
  );
}

function Rows({
  result,
  right,
  onRight,
}: {
  result: PolicyTableResponse;
  right: Right;
  onRight: (right: Right) => void;
}) {
  return (
    <div data-testid="table-result">
      <p className="faint small">
        Ran <code>{result.query}</code> on {result.connection} in a read-only transaction, rolled back. Not
        recorded.
      </p>
      <div className="side-by-side">
        <div>
          <h4>As the database has them</h4>
          <RowsTable label="Database" columns={result.columns} rows={result.database} />
        </div>
        <div>
          <h4>
            <span className="seg">
              {(['agent', 'stored'] as const).map((r) => (
                <button
                  key={r}
                  type="button"
                  aria-pressed={right === r}
                  className={`btn${right === r ? ' on' : ''}`}
                  onClick={() => onRight(r)}
                >
                  {r === 'agent' ? 'As the agent sees them' : 'As Glassbox stores them'}
                </button>
              ))}
            </span>
          </h4>
          <RowsTable
            label={right === 'agent' ? 'Agent' : 'Stored'}
            columns={result.columns}
            rows={right === 'agent' ? result.agent : result.stored}
          />
        </div>
      </div>
    </div>
  );
}
