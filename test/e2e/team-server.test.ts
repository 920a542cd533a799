/**
 * Issue 19's "Done when", end to end with real parts only: `glassbox-server` run as its real bin (two
 * instances on one Debian PostgreSQL), the real test OIDC provider issuing JWT access tokens for the team
 * audience, two engines with their own homes (alice: engineering + auditors; bob: db-approvers) mirroring to
 * the server, psql through alice's PostgreSQL proxy and the Anthropic SDK through bob's Anthropic proxy, and
 * real Chromium driving the server's dashboard through the provider's own sign-in pages: sessions arrive
 * verified; alice (an auditor) finds bob's session by person and by a word of his prompt and sees the server's
 * verification; alice's held DELETE, routed to db-approvers, is approved by bob in the dashboard of the OTHER
 * server instance and her psql completes, her chain recording bob's verified identity.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { Browser, BrowserContext, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalDecidedPayload } from '../../proxy/policy/approvals/record.js';
import type { Approval } from '../../proxy/policy/guard/types.js';
import type { ChainVerification, LiveMessage } from '../../proxy/sync/protocol.js';
import { type MirrorHome, type MirrorRig, startMirrorRig, untilMirrored } from '../helpers/mirror-rig.js';
import { collectOutput, type ProcessOutput } from '../helpers/process.js';
import { accessTokenFor, type ServerProcess, spawnTeamServer } from '../helpers/team-server.js';
import { launchChromium, screenshot } from './browser.js';

const RULE = 'team.prod-deletes';
const POLICY = {
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
  approvals: { mode: 'hold', timeout: '120s' },
};
/** A word only bob's prompt holds. */
const WORD = 'zeppelin';

let rig: MirrorRig;
let second: ServerProcess;
let alice: MirrorHome;
let bob: MirrorHome;
let browser: Browser;

beforeAll(async () => {
  rig = await startMirrorRig();
  await rig.startServer();
  second = await spawnTeamServer({ databaseUrl: rig.serverPg.superuserUrl, issuer: rig.provider.issuer });
  alice = await rig.home('alice');
  writeFileSync(join(alice.home, 'policy.json'), JSON.stringify(POLICY), { mode: 0o600 });
  await alice.start();
  bob = await rig.home('bob');
  await bob.start();
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await second?.stop();
  await rig?.stop();
}, 60_000);

/** psql -c `sql` through alice's PostgreSQL proxy, asynchronously (the engines run in this process). */
function psql(sql: string): { child: ChildProcess; done: Promise<ProcessOutput> } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PG')));
  const child = spawn('/usr/bin/psql', ['-X', '-w', '-d', alice.pgUrl, '-c', sql], {
    env: { ...env, LC_ALL: 'C', PGCONNECT_TIMEOUT: '10' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  return { child, done: collectOutput(child) };
}

/** A browser context (its own cookies) with Google Fonts blocked, and a page in it. */
async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.route(/fonts\.googleapis\.com|fonts\.gstatic\.com/, (route) => route.abort());
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { context, page };
}

/** Signs `login` in to the dashboard at `url` through the provider's login and consent pages. */
async function signIn(page: Page, url: string, login: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL(new RegExp(`^${rig.provider.issuer}/interaction/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').first().click();
  await page.getByRole('heading', { name: 'Authorize' }).waitFor();
  await page.locator('button[type="submit"]').first().click();
  await page.waitForURL(`${url}/`);
  await page.getByTestId('team-me').waitFor();
}

/** The server's own verification of a session's chain, read with `login`'s token. */
async function verify(url: string, id: string, token: string): Promise<ChainVerification> {
  const response = await fetch(`${url}/v1/sessions/${id}/verify`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as ChainVerification;
}

let aliceSession = '';
let bobSession = '';

describe('the team server, end to end', () => {
  it('mirrors both engines’ sessions, the chains verified by the server', async () => {
    // The table, made directly on the upstream (the default policy holds DDL through the proxy).
    const up = rig.upstreamPg;
    const direct = `postgres://${up.user}:${up.password}@127.0.0.1:${up.port}/${up.database}`;
    const setup = spawn('/usr/bin/psql', [
      '-X',
      '-d',
      direct,
      '-c',
      'CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)',
    ]);
    expect((await collectOutput(setup)).code).toBe(0);
    const out = await psql('SELECT count(*) FROM t').done;
    expect(out.stderr).toBe('');
    expect(out.stdout).toContain(' 2\n');
    const claude = new Anthropic({
      baseURL: bob.engine!.addresses.anthropicUrl,
      apiKey: 'sk-ant-test',
      maxRetries: 0,
    });
    await claude.messages.create({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 16,
      messages: [{ role: 'user', content: `summarize the ${WORD} maintenance log` }],
    });
    await untilMirrored(rig, alice.engine!);
    await untilMirrored(rig, bob.engine!);
    aliceSession = alice.engine!.store.listSessions().find((s) => s.kind === 'postgres')!.id;
    bobSession = bob.engine!.store.listSessions().find((s) => s.kind !== 'postgres')!.id;
    const auditor = await accessTokenFor(rig.provider, 'alice');
    for (const [id, engine] of [
      [aliceSession, alice.engine!],
      [bobSession, bob.engine!],
    ] as const) {
      const verdict = await verify(rig.server!.url, id, auditor);
      expect(verdict).toMatchObject({ intact: true, head_seq: engine.store.getSession(id)!.head_seq });
    }
  }, 120_000);

  it('lets alice (an auditor) find bob’s session by person and by text in Chromium, verified', async () => {
    const { page } = await newPage();
    await signIn(page, rig.server!.url, 'alice');
    expect(await page.getByTestId('team-me').textContent()).toContain('Alice Example');
    const rows = page.getByTestId('team-session-row');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('team-sessions').textContent()).toContain('Bob Example');
    const listed = await rows.evaluateAll((tr) => tr.map((row) => row.getAttribute('data-id')));
    expect(listed).toEqual(expect.arrayContaining([aliceSession, bobSession]));

    await page.locator('input[name="person"]').fill('bob@example.test');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(1);
    expect(await rows.first().getAttribute('data-id')).toBe(bobSession);

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('input[name="q"]').fill(WORD);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(async () => rows.evaluateAll((tr) => tr.map((row) => row.getAttribute('data-id'))), {
        timeout: 30_000,
      })
      .toEqual([bobSession]);

    await rows.first().getByRole('link').click();
    await page.getByTestId('team-verify').waitFor();
    expect(await page.getByTestId('team-verify').textContent()).toContain(
      `Chain verified by the server · ${bob.engine!.store.getSession(bobSession)!.head_seq} events`,
    );
    expect(await page.getByTestId('team-owner').textContent()).toBe('Bob Example');
    await screenshot(page, 'team-server-1-bob-session');
  }, 120_000);

  it('routes alice’s held DELETE to bob, who approves it in the other instance’s dashboard', async () => {
    // bob's dashboard is served by instance 2; alice's engine talks to instance 1.
    const { page } = await newPage();
    // What instance 2 pushes to bob's page on /v1/live (the inbox also re-reads every few seconds: the frames
    // show the request arrived live, through PostgreSQL's NOTIFY from instance 1).
    const frames: LiveMessage[] = [];
    page.on('websocket', (socket) => {
      if (!socket.url().startsWith(`${second.url.replace(/^http/, 'ws')}/v1/live`)) return;
      socket.on('framereceived', ({ payload }) => frames.push(JSON.parse(String(payload)) as LiveMessage));
    });
    await signIn(page, second.url, 'bob');
    await page.getByTestId('nav-approvals').click();
    await page.getByTestId('no-approvals').waitFor();

    const run = psql('DELETE FROM t');
    let held: Approval | undefined;
    await expect
      .poll(
        () => {
          held = alice.engine!.approvals.list().find((x) => x.subject.text === 'DELETE FROM t');
          return held?.status;
        },
        { timeout: 60_000 },
      )
      .toBe('pending');
    // Live: the request arrives without a reload.
    const card = page.locator(`[data-testid="routed-approval"][data-id="${held!.id}"]`);
    await card.waitFor({ timeout: 60_000 });
    expect(await card.textContent()).toContain('DELETE FROM t');
    expect(await card.textContent()).toContain('db-approvers');
    await expect
      .poll(() => frames.some((m) => m.type === 'approval' && m.approval.id === held!.id), {
        timeout: 30_000,
      })
      .toBe(true);
    await screenshot(page, 'team-server-2-inbox');
    await card.getByRole('button', { name: 'Approve once' }).click();

    await page.getByTestId('decided').waitFor();
    expect(await page.getByTestId('decided').textContent()).toContain(`${held!.id}: approved`);
    const out = await run.done;
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('DELETE 2');
    const decided = alice
      .engine!.store.listEvents(held!.subject.session_id)
      .find(
        (e) =>
          e.kind === 'approval.decided' && (e.payload as ApprovalDecidedPayload).approval_id === held!.id,
      );
    expect(decided?.payload).toMatchObject({
      decision: 'approved',
      by: {
        verified: true,
        issuer: rig.provider.issuer,
        subject: 'bob',
        email: 'bob@example.test',
        groups: ['db-approvers'],
        via: 'team',
        self_approved: false,
      },
    });
    // …and the decision is mirrored, the chain still verified by the server.
    await untilMirrored(rig, alice.engine!);
    const verdict = await verify(
      second.url,
      held!.subject.session_id,
      await accessTokenFor(rig.provider, 'alice'),
    );
    expect(verdict.intact).toBe(true);
    // alice, on instance 1, sees her session with bob's decision in it.
    const { page: alicePage } = await newPage();
    await signIn(alicePage, rig.server!.url, 'alice');
    await alicePage.goto(`${rig.server!.url}/s/${held!.subject.session_id}`);
    await alicePage.getByTestId('team-verify').waitFor();
    await expect
      .poll(() => alicePage.getByTestId('team-session').textContent(), { timeout: 30_000 })
      .toContain('bob@example.test');
    await screenshot(alicePage, 'team-server-3-decided');
    // The card leaves bob's inbox (pending ones only) once the server has the decision.
    await card.waitFor({ state: 'detached', timeout: 30_000 });
  }, 180_000);
});
