/**
 * Approvals routed to a group, end to end with real parts: two engines with their own homes signed in at the
 * real OIDC provider (alice on engine A, bob — in db-approvers — on engine B) with JWT access tokens for the
 * team server, two instances of the real server bin on one real PostgreSQL (A talks to instance 1, B to
 * instance 2), and psql through A's PostgreSQL proxy under a policy whose DELETE rule routes to db-approvers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../../main/engine-client.js';
import { watchEngine } from '../../../main/live-signals.js';
import type { EngineSignal } from '../../../main/notifications.js';
import type { Config } from '../../../proxy/config.js';
import type { ApprovalDecidedPayload } from '../../../proxy/policy/approvals/record.js';
import type { Approval } from '../../../proxy/policy/guard/types.js';
import { GLASSBOX_BIN, waitFor } from '../../helpers/cli.js';
import { startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../../helpers/identity-signin.js';
import { type PgProxySetup, startPgProxy } from '../../helpers/pg-proxy.js';
import { collectOutput, type ProcessOutput } from '../../helpers/process.js';
import {
  callJson,
  type ServerProcess,
  spawnTeamServer,
  startTeamSetup,
  TEAM_AUDIENCE,
  type TeamSetup,
} from '../../helpers/team-server.js';

const RULE = 'team.prod-deletes';
const policy = (timeout: string) => ({
  guardrails: {
    rules: [
      {
        id: RULE,
        action: 'approve',
        message: 'deletes need a DBA',
        match: { sql: { effect: 'delete' } },
        route: { group: 'db-approvers' },
      },
    ],
  },
  approvals: { mode: 'hold', timeout },
});

let team: TeamSetup;
let second: ServerProcess;
let a: PgProxySetup;
let b: TestEngine;

/** config.json's identity and team sections for an engine talking to `url`. */
const teamConfig = (url: string) => (config: Config) => {
  config.identity = testIdentitySettings(team.provider, { audience: TEAM_AUDIENCE });
  config.team = { url, token: 'access_token', mirror: false };
};

beforeAll(async () => {
  team = await startTeamSetup({ accessTokenTtl: 900 });
  second = await spawnTeamServer({ databaseUrl: team.pg.superuserUrl, issuer: team.provider.issuer });
  a = await startPgProxy({ policy: policy('60s'), tweak: teamConfig(team.server.url) });
  b = await startTestEngine('http://127.0.0.1:9', teamConfig(second.url));
  const settings = testIdentitySettings(team.provider, { audience: TEAM_AUDIENCE });
  await signInForTest(team.provider, a.test.home, 'alice', process.env, settings);
  await signInForTest(team.provider, b.home, 'bob', process.env, settings);
  await waitFor(() => a.test.engine.identity.current().verified, 30_000, "A's sign-in");
  await waitFor(() => b.engine.identity.current().verified, 30_000, "B's sign-in");
}, 240_000);
afterAll(async () => {
  await b?.cleanup();
  await a?.cleanup();
  await second?.stop();
  await team?.stop();
});

/** psql through A's proxy (asynchronously: the engines run in this process). */
function psql(sql: string): { child: ChildProcess; done: Promise<ProcessOutput> } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
  const child = spawn('/usr/bin/psql', ['-X', '-w', '-d', a.url, '-c', sql], {
    env: { ...env, LC_ALL: 'C', PGCONNECT_TIMEOUT: '10' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  return { child, done: collectOutput(child) };
}

/** `glassbox …args` against an engine's home. */
function glassbox(home: string, args: string[]): Promise<ProcessOutput> {
  const child = spawn(process.execPath, [GLASSBOX_BIN, ...args], {
    env: { ...process.env, GLASSBOX_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectOutput(child);
}

/** A's pending approval for `text`, once the broker holds it. */
async function heldOnA(text: string): Promise<Approval> {
  let found: Approval | undefined;
  await expect
    .poll(
      () => {
        found = a.test.engine.approvals.list().find((x) => x.subject.text === text);
        return found?.status;
      },
      { timeout: 60_000 },
    )
    .toBe('pending');
  return found!;
}

/** A call to `engine`'s control API with its token. */
function api(engine: TestEngine, method: string, path: string, body?: unknown) {
  const { apiUrl, token } = engine.engine.addresses;
  return callJson(token, method, `${apiUrl}${path}`, body);
}

describe('an approval routed to db-approvers', () => {
  it("holds A's psql until bob approves on B; A's chain records bob's verified identity", async () => {
    const direct = `postgres://${a.pg.user}:${a.pg.password}@127.0.0.1:${a.pg.port}/${a.pg.database}`;
    const setup = spawn('/usr/bin/psql', [
      '-X',
      '-d',
      direct,
      '-c',
      'DROP TABLE IF EXISTS t; CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)',
    ]);
    expect((await collectOutput(setup)).code).toBe(0);

    // B's desktop shell watches B's engine (main/live-signals.ts, as the Electron app does).
    const address = { apiUrl: b.engine.addresses.apiUrl, token: b.engine.addresses.token };
    const signals: EngineSignal[] = [];
    const stopWatching = watchEngine({
      address,
      client: new EngineClient(address),
      onSignal: (signal) => signals.push(signal),
      onChange: () => undefined,
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the feed connects

    const run = psql('DELETE FROM t');
    const held = await heldOnA('DELETE FROM t');
    expect(held.subject.rule.route).toEqual({ group: 'db-approvers', allowSelfApproval: false });

    // A cannot approve it here: it belongs to the group (the CLI and the API say so).
    const local = await api(a.test, 'POST', `/api/approvals/${held.id}/approve`, { via: 'test' });
    expect(local.status).toBe(403);
    expect(local.body).toMatchObject({ error: { code: 'routed_to_group' } });
    const cli = await glassbox(a.test.home, ['approve', held.id]);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('routed to group "db-approvers"');

    // B, connected to the other server instance, sees it in its engine's team inbox.
    await expect
      .poll(
        async () =>
          ((await api(b, 'GET', '/api/team/approvals')).body.approvals as Array<{ id: string }>).map(
            (x) => x.id,
          ),
        { timeout: 60_000 },
      )
      .toContain(held.id);
    // …and B's desktop app raises a notification for it.
    const notice = await waitFor(
      () => signals.find((x) => x.type === 'approval-requested' && x.id === held.id),
      60_000,
      "B's desktop notification",
    );
    stopWatching();
    expect(notice).toMatchObject({
      title: 'Approval for db-approvers: deletes need a DBA',
      summary: expect.stringContaining('DELETE FROM t\nasked by alice@example.test'),
    });

    const approved = await glassbox(b.home, ['approve', held.id, '--reason', 'checked']);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`Approved ${held.id}: DELETE FROM t`);

    const out = await run.done;
    expect(out.stderr).toBe(
      `NOTICE:  Glassbox: waiting for approval ${held.id} (rule ${RULE}: deletes need a DBA); an approver of group "db-approvers" decides it through the team server\n`,
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('DELETE 2');

    const events = a.test.engine.store.listEvents(held.subject.session_id);
    const decided = events.find(
      (e) => e.kind === 'approval.decided' && (e.payload as ApprovalDecidedPayload).approval_id === held.id,
    );
    expect(decided?.payload).toMatchObject({
      decision: 'approved',
      reason: 'checked',
      by: {
        verified: true,
        issuer: team.provider.issuer,
        subject: 'bob',
        email: 'bob@example.test',
        groups: ['db-approvers'],
        via: 'team',
        self_approved: false,
      },
    });
    const verified = await glassbox(a.test.home, ['verify', held.subject.session_id]);
    expect(verified.code).toBe(0);
  }, 240_000);

  it('is withdrawn on the server when the client goes away, so approvers no longer see it', async () => {
    const run = psql('DELETE FROM t');
    const held = await heldOnA('DELETE FROM t');
    const inbox = async () =>
      ((await api(b, 'GET', '/api/team/approvals')).body.approvals as Array<{ id: string }>).map((x) => x.id);
    await expect.poll(inbox, { timeout: 60_000 }).toContain(held.id);
    run.child.kill('SIGKILL');
    await run.done;
    await expect
      .poll(() => a.test.engine.approvals.get(held.id)?.status, { timeout: 60_000 })
      .toBe('withdrawn');
    await expect.poll(inbox, { timeout: 60_000 }).not.toContain(held.id);
    const onServer = await fetch(`${second.url}/v1/approvals/${held.id}`, {
      headers: { authorization: `Bearer ${await team.tokenFor('bob')}` },
    });
    expect(((await onServer.json()) as { status: string }).status).toBe('withdrawn');
  }, 240_000);

  it('expires at its timeout when the team server is down: psql is refused, never allowed', async () => {
    writeFileSync(join(a.test.home, 'policy.json'), JSON.stringify(policy('4s')), { mode: 0o600 });
    await expect
      .poll(() => a.test.engine.policy.current().approvals.timeoutMs, { timeout: 30_000 })
      .toBe(4_000);
    await team.server.stop();
    const run = psql('DELETE FROM t');
    const held = await heldOnA('DELETE FROM t');
    const out = await run.done;
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`approval ${held.id} expired before anyone decided`);
    expect(a.test.engine.approvals.get(held.id)?.status).toBe('expired');
  }, 240_000);
});
