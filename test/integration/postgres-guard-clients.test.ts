import pg from 'pg';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { type GuardedProxy, HOLD, idsIn, rejection, startGuardedProxy } from '../helpers/pg-guard.js';

/**
 * The same approver paths for every driver (psql's are in postgres-guard-psql.test.ts and
 * guard-done-when.test.ts): a held statement approved with `glassbox approve` and through the control API,
 * denied with `glassbox deny`, and one nobody decides before `approvals.timeout`. The CLI is spawned
 * asynchronously: the engine runs in this process.
 */
describe('node-postgres and postgres.js: held statements decided by the CLI, the API, or nobody', () => {
  let g: GuardedProxy;
  const home = () => g.setup.test.home;

  beforeAll(async () => {
    g = await startGuardedProxy();
  });
  afterAll(async () => {
    await g?.cleanup();
  });
  beforeEach(async () => {
    await g.setApprovals(HOLD);
    await g.direct.query(
      'DROP TABLE IF EXISTS t; CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2), (3)',
    );
  });

  /** Runs `DELETE FROM t` with `run`, decides it with `decide(id)`, and returns how the statement ended. */
  async function held<T>(run: () => Promise<T>, decide: (id: string) => Promise<unknown>) {
    const outcome = run().then(
      (value) => ({ ok: true as const, value }),
      (error: { code?: string; message: string }) => ({ ok: false as const, error }),
    );
    const id = await g.nextPending();
    expect(await idsIn(g.direct)).toEqual([1, 2, 3]); // held: nothing reached the server
    await decide(id);
    return { id, outcome: await outcome };
  }

  const cliApprove = async (id: string) => {
    const out = await runCliAsync(home(), ['approve', id, '--reason', 'checked']);
    expect(out.code, out.stderr).toBe(0);
  };
  const cliDeny = async (id: string) => {
    const out = await runCliAsync(home(), ['deny', id, '--reason', 'not during the audit']);
    expect(out.code, out.stderr).toBe(0);
  };
  const apiApprove = async (id: string) => {
    const { apiUrl, token } = g.setup.test.engine.addresses;
    const response = await fetch(`${apiUrl}/api/approvals/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'fine', via: 'dashboard' }),
    });
    expect(response.status).toBe(200);
  };

  for (const driver of ['pg', 'postgres.js'] as const) {
    describe(driver, () => {
      let pgClient: pg.Client | undefined;
      let sql: postgres.Sql | undefined;
      beforeEach(async () => {
        if (driver === 'pg') {
          pgClient = new pg.Client({ connectionString: g.setup.url });
          await pgClient.connect();
        } else sql = postgres(g.setup.url, { max: 1, onnotice: () => undefined });
      });
      afterEach(async () => {
        await pgClient?.end().catch(() => undefined);
        await sql?.end({ timeout: 1 });
        pgClient = undefined;
        sql = undefined;
      });
      const deleteAll = () =>
        driver === 'pg'
          ? pgClient!.query('DELETE FROM t').then((r) => r.rowCount)
          : sql!`delete from t`.then((r) => r.count);

      it('runs a held statement once `glassbox approve ID` approves it', async () => {
        const { id, outcome } = await held(deleteAll, cliApprove);
        expect(outcome).toEqual({ ok: true, value: 3 });
        expect(await idsIn(g.direct)).toEqual([]);
        expect(g.broker.get(id)).toMatchObject({
          status: 'approved',
          reason: 'checked',
          decided_by: { via: 'cli' },
        });
      });

      it('runs a held statement approved through the control API', async () => {
        const { outcome } = await held(deleteAll, apiApprove);
        expect(outcome).toEqual({ ok: true, value: 3 });
      });

      it('fails a held statement with 42501 and the reason once `glassbox deny` denies it', async () => {
        const { id, outcome } = await held(deleteAll, cliDeny);
        expect(outcome.ok).toBe(false);
        if (outcome.ok) return;
        expect(outcome.error.code).toBe('42501');
        expect(outcome.error.message).toContain(`approval ${id} was denied`);
        expect(outcome.error.message).toContain('not during the audit');
        expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      });

      it('fails a held statement nobody decides before approvals.timeout, and records it expired', async () => {
        await g.setApprovals({ mode: 'hold', timeout: '500ms' });
        const failure = await rejection(deleteAll());
        expect(failure.code).toBe('42501');
        expect(failure.message).toMatch(/expired|nobody decided/);
        expect(g.broker.list({ all: true })[0]).toMatchObject({ status: 'expired' });
        expect(await idsIn(g.direct)).toEqual([1, 2, 3]);
      });
    });
  }
});
