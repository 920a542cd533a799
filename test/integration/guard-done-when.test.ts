/**
 * Issue 17's "Done when", end to end with real parts: with the default policy (no policy.json),
 * `psql -c 'DELETE FROM t'` through Glassbox waits for a person; `glassbox approvals --json` lists it;
 * `glassbox approve ID` lets it run; a second one denied with `glassbox deny ID --reason …` fails with the
 * reason; `glassbox show <session>` tells each story in order; and a `block` rule added to policy.json
 * refuses a statement with SQLSTATE 42501. The engine runs in this process, so every child is spawned
 * asynchronously.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApprovalsResponse, LiveMessage } from '../../proxy/api/types.js';
import type { Approval } from '../../proxy/policy/guard/types.js';
import { runCliAsync, waitFor } from '../helpers/cli.js';
import { idsIn } from '../helpers/pg-guard.js';
import { type PgProxySetup, startPgProxy } from '../helpers/pg-proxy.js';
import { collectOutput, type ProcessOutput } from '../helpers/process.js';

const RULE = 'rule pg.delete-without-where: DELETE without a WHERE clause deletes every row of the table';

describe('guardrails, done when', () => {
  let setup: PgProxySetup;
  let direct: pg.Client;
  let runs = 0;

  beforeAll(async () => {
    setup = await startPgProxy();
    direct = new pg.Client(setup.pg.superuserUrl);
    await direct.connect();
  });
  afterAll(async () => {
    await direct?.end();
    await setup?.cleanup();
  });
  beforeEach(async () => {
    await direct.query('DROP TABLE IF EXISTS t; CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2), (3)');
  });

  /** psql through Glassbox, asynchronously, with its own application_name; stderr readable while it runs. */
  function psql(sql: string): { app: string; done: Promise<ProcessOutput>; stderr: () => string } {
    const app = `done-when-${++runs}`;
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
    const child = spawn(
      '/usr/bin/psql',
      ['-X', '-w', '-v', 'VERBOSITY=verbose', '-d', setup.url, '-c', sql],
      {
        env: { ...env, LC_ALL: 'C', PGAPPNAME: app, PGCONNECT_TIMEOUT: '10' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 120_000,
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return { app, done: collectOutput(child), stderr: () => stderr };
  }

  const glassbox = (args: string[]) => runCliAsync(setup.test.home, args);

  /** Waits until `glassbox approvals --json` lists exactly one pending approval, and returns it. */
  async function listedPending(): Promise<Approval> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error('glassbox approvals --json listed nothing pending');
      const listed = await glassbox(['approvals', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      const pending = JSON.parse(listed.stdout) as Approval[];
      if (pending.length > 0) {
        expect(pending).toHaveLength(1);
        return pending[0]!;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The id of the Glassbox session psql `app` ran in. */
  const sessionOf = (app: string) =>
    setup.test.engine.store.listSessions({ kind: 'postgres', limit: 100 }).find((s) => s.client === app)!.id;

  /** The line numbers of `glassbox show <session>`'s lines matching each pattern, in the order given. */
  function linesOf(output: string, patterns: RegExp[]): number[] {
    const lines = output.split('\n');
    return patterns.map((pattern) => {
      const at = lines.findIndex((line) => pattern.test(line));
      expect(at, `a line matching ${pattern} in:\n${output}`).toBeGreaterThanOrEqual(0);
      return at;
    });
  }

  it('DELETE without WHERE waits, is listed, runs once approved, and `glassbox show` tells it in order', async () => {
    // What the dashboard's inbox and the desktop's notifications follow: approval changes pushed on /api/live.
    const { apiUrl, token } = setup.test.engine.addresses;
    const live = new WebSocket(`${apiUrl.replace('http', 'ws')}/api/live?access_token=${token}`);
    const pushed: Approval[] = [];
    live.on('message', (data) => {
      const message = JSON.parse(data.toString()) as LiveMessage;
      if (message.type === 'approval') pushed.push(message.approval);
    });
    await new Promise((resolve) => live.once('open', resolve));

    const run = psql('DELETE FROM t');
    const approval = await listedPending();
    await waitFor(() => pushed.some((a) => a.id === approval.id), 10_000, 'the approval pushed on /api/live');
    const inbox = await fetch(`${apiUrl}/api/approvals`, { headers: { authorization: `Bearer ${token}` } });
    const listed = (await inbox.json()) as ApprovalsResponse;
    expect(listed).toMatchObject({ pending: 1, approvals: [{ id: approval.id, status: 'pending' }] });
    expect(approval).toMatchObject({
      status: 'pending',
      subject: {
        kind: 'sql',
        text: 'DELETE FROM t',
        client: run.app,
        rule: { id: 'pg.delete-without-where' },
      },
    });
    // psql was told at once, and the statement is held, not run.
    await waitFor(() => run.stderr().includes(approval.id), 15_000, 'the waiting notice');
    expect(run.stderr()).toContain(
      `NOTICE:  00000: Glassbox: waiting for approval ${approval.id} (${RULE}); open the dashboard or run glassbox approve ${approval.id}`,
    );
    expect(await idsIn(direct)).toEqual([1, 2, 3]);

    const approved = await glassbox(['approve', approval.id]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`Approved ${approval.id}`);
    const out = await run.done;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('DELETE 3');
    expect(await idsIn(direct)).toEqual([]);
    await waitFor(
      () => pushed.some((a) => a.id === approval.id && a.status === 'approved'),
      10_000,
      'the decision',
    );
    live.close();

    const session = sessionOf(run.app);
    await waitFor(
      () => setup.test.engine.store.listEvents(session).some((e) => e.kind === 'pg.result'),
      15_000,
      'the outcome recorded',
    );
    const shown = await glassbox(['show', session]);
    expect(shown.code, shown.stderr).toBe(0);
    const order = linesOf(shown.stdout, [
      /DELETE FROM t$/,
      new RegExp(`approval ${approval.id} requested \\(rule pg\\.delete-without-where: .*\\): DELETE FROM t`),
      new RegExp(`approval ${approval.id} approved by \\S+ \\(self-approved\\) via cli · once`),
      /→ DELETE 3 · 3 rows/,
    ]);
    expect(order, shown.stdout).toEqual([...order].sort((a, b) => a - b));
  });

  it('a denied one fails with the reason, and `glassbox show` tells that in order too', async () => {
    const run = psql('DELETE FROM t');
    const approval = await listedPending();
    const denied = await glassbox(['deny', approval.id, '--reason', 'not during the audit']);
    expect(denied.code, denied.stderr).toBe(0);
    const out = await run.done;
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(
      `ERROR:  42501: Glassbox: approval ${approval.id} was denied by ${userInfo().username}: not during the audit (${RULE}); the statement was not run`,
    );
    expect(await idsIn(direct)).toEqual([1, 2, 3]);

    const session = sessionOf(run.app);
    await waitFor(
      () => setup.test.engine.store.listEvents(session).some((e) => e.kind === 'pg.result'),
      15_000,
      'the outcome recorded',
    );
    const shown = await glassbox(['show', session]);
    expect(shown.code, shown.stderr).toBe(0);
    const order = linesOf(shown.stdout, [
      /DELETE FROM t$/,
      new RegExp(`approval ${approval.id} requested`),
      new RegExp(`approval ${approval.id} denied by \\S+ .*via cli: not during the audit`),
      /✗ error 42501 Glassbox: approval .* was denied/,
    ]);
    expect(order, shown.stdout).toEqual([...order].sort((a, b) => a - b));
  });

  it('a `block` rule in policy.json refuses at once with SQLSTATE 42501', async () => {
    const policy = {
      version: 1,
      guardrails: {
        rules: [
          {
            id: 'team.no-drop',
            action: 'block',
            message: 'tables are dropped by migrations, not by hand',
            match: { sql: { command: ['DROP *'] } },
          },
        ],
      },
    };
    writeFileSync(join(setup.test.home, 'policy.json'), JSON.stringify(policy), { mode: 0o600 });
    await waitFor(policyApplied, 15_000, 'the engine to apply policy.json');
    const out = await psql('DROP TABLE t').done;
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(
      'ERROR:  42501: Glassbox blocked this statement: rule team.no-drop (tables are dropped by migrations, not by hand). Ask an approver to change the policy.',
    );
    expect(await idsIn(direct)).toEqual([1, 2, 3]);
    expect(setup.test.engine.approvals.list()).toEqual([]);
  });

  /** The policy in force holds the `team.no-drop` rule (policy.json was applied). */
  function policyApplied(): boolean {
    const { rules } = setup.test.engine.policy.current().document.guardrails;
    return rules.some((rule) => rule.id === 'team.no-drop');
  }
});
