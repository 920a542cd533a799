import { describe, expect, it } from 'vitest';
import { exportSql } from '../../proxy/cli/export-sql.js';
import { redactRequestBodySecrets, redactSqlPasswords } from '../../proxy/policy/secrets-in-content.js';
import type { RecordedEvent, Session } from '../../proxy/store/types.js';

describe('secrets inside recorded content', () => {
  it('redacts role passwords in SQL, whatever the case and quoting', () => {
    expect(redactSqlPasswords("CREATE ROLE app LOGIN PASSWORD 's3cr''et'")).toBe(
      "CREATE ROLE app LOGIN PASSWORD '[redacted]'",
    );
    expect(redactSqlPasswords("alter user x with encrypted password 'abc' valid until 'infinity'")).toBe(
      "alter user x with encrypted password '[redacted]' valid until 'infinity'",
    );
    expect(redactSqlPasswords("select 'password' as p")).toBe("select 'password' as p");
  });

  it('fingerprints MCP server authorization tokens in Messages request bodies without mutating them', () => {
    const body = {
      model: 'm',
      mcp_servers: [
        { type: 'url', url: 'https://mcp.example', authorization_token: 'tok-0123456789abcdefXYZ' },
      ],
    };
    const redacted = redactRequestBodySecrets(body) as typeof body;
    expect(JSON.stringify(redacted)).not.toContain('0123456789abcdef');
    expect(redacted.mcp_servers[0]!.authorization_token).toMatch(/^…fXYZ #[0-9a-f]{12}$/);
    expect(body.mcp_servers[0]!.authorization_token).toBe('tok-0123456789abcdefXYZ');
    expect(redactRequestBodySecrets({ model: 'm' })).toEqual({ model: 'm' });
  });
});

describe('SQL export comments', () => {
  it('comments out every line of a failed statement, splitting on CR as PostgreSQL does', () => {
    const session = { id: 'S', target: 'db', started_at: 0 } as Session;
    const event = (seq: number, kind: string, payload: unknown): RecordedEvent => ({
      session_id: 'S',
      seq,
      ts: 1_000_000,
      kind,
      payload,
      hash: '',
    });
    const sql = exportSql(session, [
      event(1, 'pg.statement', { protocol: 'simple', sql: 'SELECT 1/0;\rDROP TABLE t' }),
      event(2, 'pg.result', {
        statement_seq: 1,
        outcome: 'error',
        error: { sqlstate: '22012', message: 'division\rby zero' },
      }),
    ]);
    const live = sql.split(/\r\n|\r|\n/).filter((line) => line.trim() && !line.startsWith('--'));
    expect(live).toEqual(['SET standard_conforming_strings = on;']);
  });
});
