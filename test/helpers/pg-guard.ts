import pg from 'pg';
import type { ApprovalMode } from '../../proxy/postgres/guard-gate.js';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { waitFor } from './cli.js';
import { MemoryBroker } from './memory-broker.js';
import { type PgProxySetup, startPgProxy } from './pg-proxy.js';
import { RegexGuard } from './regex-guard.js';

/** The rules enforcement tests run under (stand-ins for the default policy's). */
export const TEST_RULES = [
  {
    id: 'pg.drop',
    pattern: /\bdrop\s+table\b/i,
    action: 'block' as const,
    message: 'Dropping tables is not allowed',
  },
  {
    id: 'pg.delete-no-where',
    pattern: /^\s*delete\s+from\s+[\w.]+\s*;?\s*$/i,
    action: 'approve' as const,
    message: 'DELETE without WHERE needs approval',
  },
  { id: 'pg.ddl', pattern: /^\s*create\s+index\b/i, action: 'flag' as const, message: 'Schema change' },
];

/** A PostgreSQL proxy with the regex guard and an in-memory broker whose mode and timeout tests may change. */
export interface GuardedProxy {
  setup: PgProxySetup;
  guard: RegexGuard;
  broker: MemoryBroker;
  mode: { value: ApprovalMode };
  /** A plain pg client straight to the server (not through Glassbox), to look at the database. */
  direct: pg.Client;
  /** Waits for the next pending approval and returns its id. */
  nextPending: (after?: Set<string>) => Promise<string>;
  /** Events of the postgres session whose application_name is `app`. */
  eventsOf: (app: string) => RecordedEvent[];
  cleanup: () => Promise<void>;
}

/** Starts PostgreSQL, Glassbox with the guard, and a direct client; creates table `t(id int)`. */
export async function startGuardedProxy(): Promise<GuardedProxy> {
  const guard = new RegexGuard(TEST_RULES);
  const mode = { value: 'hold' as ApprovalMode };
  const broker = new MemoryBroker({ timeoutMs: 60_000, mode: () => mode.value });
  const setup = await startPgProxy({
    guard: { guard: () => guard, approvals: broker, approvalMode: () => mode.value },
  });
  const direct = new pg.Client(setup.pg.superuserUrl);
  await direct.connect();
  const seen = new Set<string>();
  const store = setup.test.engine.store;
  return {
    setup,
    guard,
    broker,
    mode,
    direct,
    nextPending: (after = seen) =>
      waitFor(
        () => {
          const id = broker.pendingIds().find((pending) => !after.has(pending));
          if (id) after.add(id);
          return id;
        },
        15_000,
        'a pending approval',
      ),
    eventsOf: (app) => {
      const session = store.listSessions({ kind: 'postgres', limit: 1000 }).find((s) => s.client === app);
      return session ? store.listEvents(session.id, 0, 5_000) : [];
    },
    cleanup: async () => {
      broker.close();
      await direct.end();
      await setup.cleanup();
    },
  };
}

/** Ids in table `name`, sorted, read straight from the server. */
export async function idsIn(direct: pg.Client, name = 't'): Promise<number[]> {
  const { rows } = await direct.query<{ id: number }>(`SELECT id FROM ${name} ORDER BY id`);
  return rows.map((row) => row.id);
}
