/**
 * The team policy with real parts: Debian's PostgreSQL (the team database, and the application database the
 * engine proxies), a real OIDC provider issuing JWT access tokens for the team server, `glassbox-server` run as
 * its real bin with `--team-policy FILE`, an in-process engine signed in as alice with config.json's `team`
 * section, psql as the client and `glassbox policy explain` as the built CLI. The local policy.json tries to
 * unmask what the team masks and allow what the team blocks; the team rules still apply, a local block still
 * works, and a change to the server's file reaches the engine and is recorded.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PolicyResponse } from '../../../proxy/api/types.js';
import { loadConfig } from '../../../proxy/config.js';
import { Engine } from '../../../proxy/engine.js';
import { FileVault } from '../../../proxy/identity/vault.js';
import type { PolicyChangedPayload } from '../../../proxy/policy/policy-record.js';
import { addConnection } from '../../../proxy/postgres/connections.js';
import { runCliAsync, waitFor } from '../../helpers/cli.js';
import { startTestEngine, type TestEngine, tempHome } from '../../helpers/engine.js';
import { signInForTest, testIdentitySettings } from '../../helpers/identity-signin.js';
import { MockAnthropic } from '../../helpers/mock-anthropic.js';
import { startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js';
import { freePort } from '../../helpers/pg-proxy.js';
import { type PgServer, startPostgres } from '../../helpers/postgres.js';
import { collectOutput } from '../../helpers/process.js';
import {
  accessTokenFor,
  type ServerProcess,
  spawnTeamServer,
  TEAM_AUDIENCE,
} from '../../helpers/team-server.js';

const TEAM_V1 = {
  columns: [{ match: 'staff.salary', action: 'redact' }],
  guardrails: {
    rules: [
      {
        id: 'team.no-truncate',
        action: 'block',
        message: 'the team does not TRUNCATE',
        match: { sql: { command: ['TRUNCATE*'] } },
      },
    ],
  },
};
const LOCAL = {
  columns: [{ match: 'salary', action: 'none' }],
  guardrails: {
    rules: [
      { id: 'local.truncate-ok', action: 'allow', match: { sql: { command: ['TRUNCATE*'] } } },
      {
        id: 'local.no-delete',
        action: 'block',
        message: 'no DELETE on my laptop',
        match: { sql: { effect: 'delete' } },
      },
    ],
  },
};

let db: PgServer;
let provider: TestOidcProvider;
let server: ServerProcess;
let mock: MockAnthropic;
let test: TestEngine;
let restarted: Engine | undefined;
let dir: string;
let policyFile: string;
let proxyUrl: string;
let upstream: string;
let home: string;
const engineLog: string[] = [];

const writeTeamPolicy = (document: unknown) => writeFileSync(policyFile, JSON.stringify(document, null, 2));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glassbox-team-policy-'));
  policyFile = join(dir, 'team-policy.json');
  writeTeamPolicy(TEAM_V1);
  db = await startPostgres();
  provider = await startOidcProvider({ apiResource: { indicator: TEAM_AUDIENCE } });
  server = await spawnTeamServer({
    databaseUrl: db.superuserUrl,
    issuer: provider.issuer,
    args: ['--team-policy', policyFile],
  });
  mock = await MockAnthropic.start();
  upstream = db.superuserUrl;
  const app = new pg.Client({ connectionString: upstream });
  await app.connect();
  await app.query(
    "CREATE TABLE staff (name text, salary int); INSERT INTO staff VALUES ('ana', 91234), ('ben', 87654)",
  );
  await app.end();

  home = tempHome('glassbox-team-policy-engine-');
  writeFileSync(join(home, 'policy.json'), JSON.stringify(LOCAL));
  // In config.json, so that the CLI (`glassbox policy explain`) knows the team server too.
  writeFileSync(join(home, 'config.json'), JSON.stringify({ team: { url: server.url, mirror: false } }));
  const added = addConnection(home, new FileVault(join(home, 'vault.json')), 'shop', upstream, {
    listen: await freePort(),
    upstreamTls: 'disable',
  });
  proxyUrl = added.url;
  await signInForTest(provider, home, 'alice');
  // Polling far apart: a new version must arrive through the server's live notice.
  process.env.GLASSBOX_TEAM_POLICY_POLL_MS = '600000';
  test = await startTestEngine(
    mock.url,
    (config) => {
      config.identity = testIdentitySettings(provider, { audience: TEAM_AUDIENCE });
    },
    home,
    { log: (line) => engineLog.push(line) },
  );
}, 180_000);

afterAll(async () => {
  delete process.env.GLASSBOX_TEAM_POLICY_POLL_MS;
  await test?.engine.stop().catch(() => undefined);
  await restarted?.stop().catch(() => undefined);
  if (home) rmSync(home, { recursive: true, force: true });
  await server?.stop();
  await Promise.all([mock?.stop(), provider?.close(), db?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function policyInForce(): Promise<PolicyResponse> {
  const { apiUrl, token } = test.engine.addresses;
  const response = await fetch(`${apiUrl}/api/policy`, { headers: { authorization: `Bearer ${token}` } });
  return (await response.json()) as PolicyResponse;
}

async function untilTeamVersion(version: number): Promise<PolicyResponse> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const policy = await policyInForce();
    if (policy.effective.team?.version === version) return policy;
    if (Date.now() > deadline) throw new Error(`the engine never applied team policy version ${version}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function psql(app: string, sql: string) {
  const url = new URL(proxyUrl);
  url.searchParams.set('application_name', app);
  const child = spawn(
    '/usr/bin/psql',
    ['-X', '-w', '-v', 'ON_ERROR_STOP=1', '-d', url.toString(), '-c', sql],
    {
      env: { ...process.env, PGCONNECT_TIMEOUT: '20' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return collectOutput(child);
}

function eventsOf(app: string, kind: string) {
  const { store } = test.engine;
  const session = store.listSessions({ limit: 200 }).find((s) => s.client === app);
  return session ? store.listEvents(session.id).filter((e) => e.kind === kind) : [];
}

function policyChanges(): PolicyChangedPayload[] {
  const { store } = test.engine;
  return store
    .listSessions({ limit: 200 })
    .filter((s) => s.client === 'glassbox-policy')
    .flatMap((s) => store.listEvents(s.id))
    .filter((e) => e.kind === 'policy.changed')
    .map((e) => e.payload as PolicyChangedPayload);
}

// Several CLI runs and sign-ins per test: slow on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

describe('the team policy, applied on top of the local one', () => {
  it('serves the file as version 1 to a signed-in person, and 304 for the version held', async () => {
    const token = await accessTokenFor(provider, 'bob');
    const response = await fetch(`${server.url}/v1/policy`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ version: 1, policy: TEAM_V1 });
    const again = await fetch(`${server.url}/v1/policy`, {
      headers: { authorization: `Bearer ${token}`, 'if-none-match': response.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    expect((await fetch(`${server.url}/v1/policy`)).status).toBe(401);
  });

  it('follows the live stream over one connection, which the routed approvals share', async () => {
    await untilTeamVersion(1);
    // Each WebSocket upgrade is one `incoming request` line of the server's log (Fastify's request log).
    const liveConnections = () =>
      new Set(
        server
          .logs()
          .map((line) => line.req as { url?: string; remotePort?: number } | undefined)
          .filter((req) => req?.url === '/v1/live')
          .map((req) => req!.remotePort),
      );
    await waitFor(() => liveConnections().size > 0, 30_000, 'the engine connected to /v1/live');
    // Give a second follower (there was one per team part) ample time to connect too.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(liveConnections().size).toBe(1);
  });

  it('masks a team-masked column in what the engine records, though policy.json says "none"', async () => {
    const policy = await untilTeamVersion(1);
    expect(policy.effective.columns.map((c) => [c.match, c.action.type, c.source])).toEqual([
      ['staff.salary', 'redact', 'team'],
      ['salary', 'none', 'local'],
    ]);
    const out = await psql('team-mask', 'SELECT name, salary FROM staff ORDER BY name');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('91234'); // storage-only masking: the client still gets the value
    const results = await waitFor(
      () => {
        const found = eventsOf('team-mask', 'pg.result');
        return found.length > 0 && found;
      },
      15_000,
      'the result recorded',
    );
    const recorded = JSON.stringify(results.map((e) => e.payload));
    expect(recorded).toContain('ana');
    expect(recorded).not.toContain('91234');
    expect(recorded).not.toContain('87654');
    expect(recorded).toContain('[MASKED:column.staff.salary]');
  });

  it('blocks what a team rule blocks though a local rule allows it; a local block still works', async () => {
    const truncate = await psql('team-block', 'TRUNCATE staff');
    expect(truncate.code).not.toBe(0);
    expect(truncate.stderr).toContain('the team does not TRUNCATE');
    const del = await psql('local-block', "DELETE FROM staff WHERE name = 'ben'");
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain('no DELETE on my laptop');
    const direct = new pg.Client({ connectionString: upstream });
    await direct.connect();
    expect((await direct.query('SELECT count(*)::int AS n FROM staff')).rows[0].n).toBe(2);
    await direct.end();
  });

  it('`glassbox policy explain` and `policy show` say where each rule came from', async () => {
    const { home } = test;
    const team = await runCliAsync(home, ['policy', 'explain', '--sql', 'TRUNCATE staff']);
    expect(team.code, team.stderr).toBe(0);
    expect(team.stdout).toContain(
      'Decision: block, by rule team.no-truncate (team policy): the team does not TRUNCATE',
    );
    const local = await runCliAsync(home, [
      'policy',
      'explain',
      '--sql',
      "DELETE FROM staff WHERE name = 'x'",
    ]);
    expect(local.stdout).toContain('Decision: block, by rule local.no-delete (local policy.json)');
    const json = await runCliAsync(home, ['policy', 'explain', '--json', '--sql', 'DROP TABLE staff']);
    expect(JSON.parse(json.stdout).decision.rule).toMatchObject({ id: 'pg.drop', source: 'default' });
    const shown = await runCliAsync(home, ['policy', 'show']);
    expect(shown.stdout).toContain('with the team policy version 1 on top');
    expect(shown.stdout).toMatch(/staff\.salary: redact, in storage {2}\[team\]/);
    const check = await runCliAsync(home, ['policy', 'check']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/rules by source: team 2, local 3, default \d+/);
  });

  it("applies the server's new file at its live notice, records it via team, and refuses an invalid file keeping the last", async () => {
    writeTeamPolicy({ ...TEAM_V1, columns: [...TEAM_V1.columns, { match: 'staff.name', action: 'redact' }] });
    const policy = await untilTeamVersion(2);
    expect(policy.effective.columns.map((c) => c.match)).toContain('staff.name');
    const recorded = await waitFor(
      () => policyChanges().find((p) => p.via === 'team' && p.team_version === 2),
      10_000,
      'policy.changed via team',
    );
    expect(recorded.changes.map((c) => c.path)).toContain('/team/version');
    const out = await psql('team-mask-2', 'SELECT name FROM staff ORDER BY name');
    expect(out.code, out.stderr).toBe(0);
    const results = await waitFor(
      () => {
        const found = eventsOf('team-mask-2', 'pg.result');
        return found.length > 0 && found;
      },
      15_000,
      'the result recorded',
    );
    expect(JSON.stringify(results.map((e) => e.payload))).not.toContain('ana');

    writeTeamPolicy({ columns: [{ match: 'staff.name', action: 'scramble' }] });
    await waitFor(
      () => server.logs().find((l) => l.msg === 'team policy refused: the served version stays'),
      15_000,
      'the refusal logged',
    );
    const token = await accessTokenFor(provider, 'alice');
    const served = await fetch(`${server.url}/v1/policy`, { headers: { authorization: `Bearer ${token}` } });
    expect(await served.json()).toMatchObject({ version: 2 });
    expect((await policyInForce()).effective.team?.version).toBe(2);
  });

  it('refuses an invalid document from the server with a warning, keeping the last good team policy', async () => {
    // A server of a newer Glassbox could serve a field this engine does not know: stored as it would be.
    const client = new pg.Client({ connectionString: db.superuserUrl });
    await client.connect();
    await client.query(
      `INSERT INTO team_policy (document, created_at, created_by) VALUES ($1::jsonb, 0, 'test')`,
      [JSON.stringify({ columns: [{ match: 'staff.name', action: 'scramble' }] })],
    );
    await client.query(`SELECT pg_notify('glassbox_live', '{"type":"policy","version":3}')`);
    await client.end();
    const warning = await waitFor(
      () => engineLog.find((line) => line.includes('Team policy: refused version 3')),
      15_000,
      'the refusal',
    );
    expect(warning).toContain('the last good team policy (2) stays');
    expect((await policyInForce()).effective.team?.version).toBe(2);
    expect(policyChanges().some((p) => p.team_version === 3)).toBe(false);
  });

  it('applies the cached team policy when the engine starts while the server is down', async () => {
    await test.engine.stop();
    await server.stop();
    const config = loadConfig(home, { anthropicPort: 0, apiPort: 0, anthropicUpstream: mock.url });
    config.identity = testIdentitySettings(provider, { audience: TEAM_AUDIENCE });
    restarted = await Engine.start({ home, config });
    expect(restarted.policy.current().effective.team).toEqual({ version: 2 });
    const out = await psql('offline-mask', 'SELECT name, salary FROM staff ORDER BY name');
    expect(out.code, out.stderr).toBe(0);
    const { store } = restarted;
    const results = await waitFor(
      () => {
        const session = store.listSessions({ limit: 200 }).find((s) => s.client === 'offline-mask');
        const found = session ? store.listEvents(session.id).filter((e) => e.kind === 'pg.result') : [];
        return found.length > 0 && found;
      },
      15_000,
      'the result recorded',
    );
    const recorded = JSON.stringify(results.map((e) => e.payload));
    expect(recorded).not.toContain('91234');
    expect(recorded).not.toContain('ana');
  });
});
