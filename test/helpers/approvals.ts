import { createHash } from 'node:crypto';
import { localIdentity } from '../../proxy/identity/local.js';
import type { ApprovalSubject } from '../../proxy/policy/guard/types.js';
import type { Store } from '../../proxy/store/store.js';

/**
 * A PostgreSQL session as the proxy would open it, with one `pg.statement` event for `sql`: the session id
 * and the statement's seq, for an approval subject.
 */
export function heldStatement(
  store: Store,
  sql: string,
  sessionId?: string,
): { session_id: string; seq: number } {
  const id =
    sessionId ??
    store.createSession({
      kind: 'postgres',
      target: 'shop',
      client: 'psql',
      identity: localIdentity(),
      external_id: null,
    }).id;
  const { seq } = store.append(id, 'pg.statement', { sql, protocol: 'simple' });
  return { session_id: id, seq };
}

/**
 * The subject an enforcement point would build for a held `sql` statement under `rule` (built by hand: the
 * PostgreSQL enforcement is another part's), in a new session or `sessionId`.
 */
export function sqlSubject(
  store: Store,
  sql: string,
  options: { rule?: string; sessionId?: string; mode?: ApprovalSubject['mode'] } = {},
): ApprovalSubject {
  const { session_id, seq } = heldStatement(store, sql, options.sessionId);
  const rule = options.rule ?? 'pg.delete-without-where';
  return {
    session_id,
    request_seq: seq,
    kind: 'sql',
    text: sql,
    operation_hash: createHash('sha256').update(sql).digest('hex'),
    facts: {
      kind: 'sql',
      text: sql,
      sql: {
        effect: 'delete',
        statements: [],
        reads: [],
        writes: ['orders'],
        noWhere: true,
        functions: [],
        copyProgram: false,
        alterDrop: false,
        commands: ['DELETE'],
      },
    },
    rule: { id: rule, message: 'DELETE without WHERE needs an approval', builtin: true },
    client: 'psql',
    target: 'shop',
    identity: { os_user: localIdentity().os_user },
    context: { estimated_rows: 12_000, estimate_of: 'public.orders' },
    ...(options.mode ? { mode: options.mode } : {}),
  };
}
