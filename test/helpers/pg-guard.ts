import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Approvals } from '../../proxy/policy/approvals/broker.js';
import { durationMs } from '../../proxy/policy/guard/rule-schema.js';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { waitFor } from './cli.js';
import { type PgProxySetup, startPgProxy } from './pg-proxy.js';

/** The rule enforcement tests add to the built-in ones: DROP is refused outright rather than held. */
export const NO_DROP_RULE = {
  id: 'test.no-drop',
  action: 'block',
  message: 'Dropping tables is not allowed',
  match: { sql: { command: ['DROP *'] } },
} as const;

/** How held statements wait, as policy.json's `approvals` section says it. */
export interface ApprovalsSection {
  mode: 'hold' | 'retry';
  /** A duration as written in policy.json: `"60s"`, `"500ms"`. */
  timeout: string;
}

/** The policy enforcement tests run under: {@link NO_DROP_RULE}, then the built-in rules. */
export function guardTestPolicy(approvals: ApprovalsSection): unknown {
  return { version: 1, guardrails: { rules: [NO_DROP_RULE] }, approvals };
}

/** A PostgreSQL proxy under a real policy.json, the engine's real guard and approval broker. */
export interface GuardedProxy {
  setup: PgProxySetup;
  /** The engine's approval broker (`engine.approvals`): decide with `broker.decide(id, {approve, by})`. */
  broker: Approvals;
  /** A plain pg client straight to the server (not through Glassbox), to look at the database. */
  direct: pg.Client;
  /**
   * Rewrites policy.json's `approvals` section (when it differs) and waits until the engine applies it.
   */
  setApprovals: (approvals: ApprovalsSection) => Promise<void>;
  /**
   * Waits for the next approval requested that is still pending and not returned before (in the order they
   * were requested), and returns its id.
   */
  nextPending: () => Promise<string>;
  /** Events of the postgres session whose application_name is `app`. */
  eventsOf: (app: string) => RecordedEvent[];
  cleanup: () => Promise<void>;
}

/** `hold` mode, one minute to decide: what each test starts from. */
export const HOLD: ApprovalsSection = { mode: 'hold', timeout: '60s' };

/** Starts PostgreSQL, Glassbox with {@link guardTestPolicy} and a direct client. */
export async function startGuardedProxy(): Promise<GuardedProxy> {
  let current = HOLD;
  const setup = await startPgProxy({ policy: guardTestPolicy(current) });
  const { engine, home } = setup.test;
  const direct = new pg.Client(setup.pg.superuserUrl);
  await direct.connect();
  // Every request, in the order the broker was asked (list() sorts by time, which may tie within a batch).
  const requested: string[] = [];
  let taken = 0;
  const unsubscribe = engine.approvals.subscribe((approval) => {
    if (approval.status === 'pending') requested.push(approval.id);
  });
  const store = engine.store;
  return {
    setup,
    broker: engine.approvals,
    direct,
    setApprovals: async (approvals) => {
      if (approvals.mode === current.mode && approvals.timeout === current.timeout) return;
      current = approvals;
      writeFileSync(join(home, 'policy.json'), JSON.stringify(guardTestPolicy(approvals)));
      const timeoutMs = durationMs(approvals.timeout);
      await waitFor(
        () => {
          const inForce = engine.policy.current().approvals;
          return inForce.mode === approvals.mode && inForce.timeoutMs === timeoutMs;
        },
        15_000,
        `the engine to apply approvals ${JSON.stringify(approvals)}`,
      );
    },
    nextPending: () =>
      waitFor(
        () => {
          while (taken < requested.length) {
            const id = requested[taken++]!;
            if (engine.approvals.get(id)?.status === 'pending') return id;
          }
          return undefined;
        },
        15_000,
        'a pending approval',
      ),
    eventsOf: (app) => {
      const session = store.listSessions({ kind: 'postgres', limit: 1000 }).find((s) => s.client === app);
      return session ? store.listEvents(session.id, 0, 5_000) : [];
    },
    cleanup: async () => {
      unsubscribe();
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

/** What a promise rejected with: a driver's error for a refused statement (a test failure when it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the statement to fail');
}
