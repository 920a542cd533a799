import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DesktopPorts, DesktopShell } from '../../main/desktop.js';
import { EngineClient } from '../../main/engine-client.js';
import { watchEngine } from '../../main/live-signals.js';
import { NotificationDecider } from '../../main/notifications.js';
import { EngineSupervisor } from '../../main/supervisor.js';
import type { TrayIconState } from '../../main/tray-model.js';
import type { HealthResponse, SessionsResponse } from '../../proxy/api/types.js';
import { FileVault } from '../../proxy/identity/vault.js';
import { addConnection } from '../../proxy/postgres/connections.js';
import type { RecordedEvent } from '../../proxy/store/types.js';
import { launchChromium } from '../e2e/browser.js';
import { runCli, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { freePort } from '../helpers/pg-proxy.js';
import { type PgServer, startPostgres } from '../helpers/postgres.js';
import { mountSmallDisk, type SmallDisk, smallDiskUnavailable } from '../helpers/tmpfs.js';

// GLASSBOX_HOME on a small filesystem of its own (a 32 MiB tmpfs), filled on purpose.
const cannotMount = smallDiskUnavailable();
if (cannotMount) console.warn(`skipped: ${cannotMount}`);
/** Mounts the small disk a describe block's tests use (in its beforeAll, so a skipped block mounts none). */
const mountOrThrow = () => {
  const disk = mountSmallDisk(32 * 1024 * 1024);
  if (typeof disk === 'string') throw new Error(disk);
  return disk;
};

/** Polls an async check every 100 ms until it returns a truthy value. */
async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(cannotMount)('a full disk under GLASSBOX_HOME (points 18 and 19)', () => {
  let small: SmallDisk;
  let home = '';
  let server: PgServer;
  let admin: pg.Client;
  let mock: MockAnthropic;
  let serve: ServeProcess;
  let url = '';
  const clients: pg.Client[] = [];
  // The dashboard in Chromium, and the desktop shell's tray, watching the engine throughout.
  let browser: Browser;
  let page: Page;
  const tray: Array<{ icon: TrayIconState; tooltip: string }> = [];
  let stopWatching: () => void = () => undefined;

  const api = async <T>(path: string): Promise<T> => {
    const [base, token] = serve.dashboardUrl.split('/#token=');
    const response = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  const health = () => api<HealthResponse>('/api/health');
  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    return client;
  };
  const anthropic = () =>
    new Anthropic({ baseURL: serve.anthropicUrl, apiKey: 'sk-ant-test', maxRetries: 0 });
  const ask = (text: string) =>
    anthropic().messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: text }],
    });
  const upstreamCount = async (x: number) =>
    Number((await admin.query('SELECT count(*) AS n FROM t WHERE x = $1', [x])).rows[0].n);

  /** Every recorded PostgreSQL statement with the outcomes that answer it. */
  const statementsAndOutcomes = async () => {
    const { sessions } = await api<SessionsResponse>('/api/sessions?kind=postgres&limit=1000');
    const all: Array<{ sql: string; outcomes: Array<Record<string, unknown>> }> = [];
    for (const session of sessions) {
      const { events } = await api<{ events: RecordedEvent[] }>(
        `/api/sessions/${session.id}/events?limit=5000`,
      );
      for (const statement of events.filter((e) => e.kind === 'pg.statement')) {
        all.push({
          sql: String((statement.payload as { sql: unknown }).sql),
          outcomes: events
            .filter(
              (e) =>
                e.kind === 'pg.result' &&
                (e.payload as { statement_seq: number }).statement_seq === statement.seq,
            )
            .map((e) => e.payload as Record<string, unknown>),
        });
      }
    }
    return all;
  };

  beforeAll(async () => {
    small = mountOrThrow();
    home = join(small.dir, 'home');
    server = await startPostgres();
    admin = new pg.Client({ connectionString: server.superuserUrl });
    await admin.connect();
    await admin.query('CREATE TABLE t (x int)');
    mock = await MockAnthropic.start();
    const upstream = `postgres://${server.user}:${server.password}@127.0.0.1:${server.port}/${server.database}`;
    const added = addConnection(home, new FileVault(join(home, 'vault.json')), 'shop', upstream, {
      listen: await freePort(),
      upstreamTls: 'disable',
    });
    url = added.url;
    serve = await spawnServe(home, mock.url);

    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(serve.dashboardUrl);
    const [apiUrl, token] = serve.dashboardUrl.split('/#token=') as [string, string];
    const ports: DesktopPorts = {
      showTray: (icon, tooltip) => void tray.push({ icon, tooltip }),
      notify: () => undefined,
      confirm: async () => false,
      alert: () => undefined,
      copyText: () => undefined,
      openExternal: async () => undefined,
      openWindow: () => undefined,
      pushState: () => undefined,
      quit: () => undefined,
    };
    const desktop = new DesktopShell({
      ports,
      supervisor: new EngineSupervisor({ launch: () => ({}) as never, ready: async () => true }),
      connection: () => ({ apiUrl, token }),
      decider: new NotificationDecider({
        seen: { load: () => [], save: () => undefined },
        doNotDisturb: () => false,
      }),
      startAtLogin: { isEnabled: () => false, setEnabled: () => undefined },
      claudeSettings: join(small.dir, 'claude-settings.json'),
      claudeHookCommand: 'glassbox hook claude-code',
      terminalSetup: async () => '',
      secretsWarning: null,
    });
    desktop.engineState('running');
    stopWatching = watchEngine({
      address: { apiUrl, token },
      client: new EngineClient({ apiUrl, token }),
      onSignal: () => undefined,
      onChange: () => void desktop.refresh(),
      reconnectMs: 200,
    });
  });

  afterAll(async () => {
    stopWatching();
    await browser?.close();
    small?.free();
    for (const client of clients) await client.end().catch(() => undefined);
    serve?.child.kill('SIGKILL');
    await admin?.end().catch(() => undefined);
    await mock?.stop();
    await server?.stop();
    small?.unmount();
  });

  it('refuses at once and says why, while the control API keeps answering and shows the condition', async () => {
    const first = await connect();
    await first.query('INSERT INTO t VALUES (0)');
    // A statement recorded and running upstream when the disk fills: it commits, and its outcome arrives
    // while nothing can be written.
    const slow = await connect();
    const slowInsert = slow.query('INSERT INTO t SELECT 100 FROM pg_sleep(2)');
    await eventually(
      async () =>
        (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE query LIKE 'INSERT INTO t SELECT 100%'`))
          .rowCount === 1,
      'the slow INSERT to run upstream',
    );

    expect(small.fill()).toBeGreaterThan(0);
    // The journal's last block may still hold a line or two: requests go on until the first refusal.
    let refused: unknown;
    for (let i = 0; i < 200 && !refused; i++)
      refused = await ask(`filler ${i}`).then(
        () => undefined,
        (e) => e,
      );
    expect(refused).toBeInstanceOf(Anthropic.APIError);

    // From now on nothing is forwarded, and the client is told why, in the API's own error shape.
    const forwarded = mock.requests.length;
    const error = await ask('not forwarded').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    const apiError = error as InstanceType<typeof Anthropic.InternalServerError>;
    expect(apiError.status).toBe(500);
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(apiError.message).toMatch(/Glassbox: could not record the request, so it was not forwarded/);
    expect(apiError.message).toMatch(/disk holding .* is full \(ENOSPC/);
    expect(mock.requests.length).toBe(forwarded);

    // PostgreSQL: 53100 disk_full naming Glassbox and the cause; the statement never reaches the server.
    await expect(first.query('INSERT INTO t VALUES (1)')).rejects.toMatchObject({
      code: '53100',
      message: expect.stringMatching(/^Glassbox could not record the statement, so it was not run: .*full/),
    });
    expect(await upstreamCount(1)).toBe(0);
    // A new connection is refused the same way, in the protocol.
    const late = new pg.Client({ connectionString: url });
    late.on('error', () => undefined);
    await expect(late.connect()).rejects.toMatchObject({ code: '53100' });

    // The control API answers throughout, and says what is wrong.
    for (let probe = 0; probe < 6; probe++) {
      const body = await health();
      expect(body.store).toMatchObject({ ok: false, problem: 'disk_full' });
      expect(body.store.error).toMatch(/full \(ENOSPC/);
      expect(body.store.since).toEqual(expect.any(Number));
    }
    expect((await api<SessionsResponse>('/api/sessions')).sessions.length).toBeGreaterThan(0);
    // The dashboard says so above everything, and so does the tray.
    const banner = page.getByTestId('store-failing');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/^Not recording since .*: the disk holding .* is full/);
    await eventually(async () => tray.at(-1)?.icon === 'error', 'the tray to show the error');
    expect(tray.at(-1)?.tooltip).toMatch(/^Glassbox: NOT recording — the disk holding .* is full/);

    // The statement that was already running completes for its client.
    await expect(slowInsert).resolves.toMatchObject({ command: 'INSERT', rowCount: 1 });
    expect(await upstreamCount(100)).toBe(1);
  });

  it('resumes by itself once space is freed, and the outcome that could not be written is not lost', async () => {
    small.free();
    // No client traffic is needed for recording to resume.
    await eventually(async () => (await health()).store.ok, 'the store to take writes again');
    expect((await health()).store).toMatchObject({ ok: true, error: null, problem: null, since: null });
    await page.getByTestId('store-failing').waitFor({ state: 'detached' });
    await eventually(async () => tray.at(-1)?.tooltip === 'Glassbox: recording', 'the tray to recover');

    const again = await connect();
    await again.query('INSERT INTO t VALUES (2)');
    await expect(ask('recorded again')).resolves.toMatchObject({ type: 'message' });

    // The slow INSERT's outcome, refused while the disk was full, was kept and written once there was room.
    const slow = await eventually(async () => {
      const found = (await statementsAndOutcomes()).find((s) => s.sql.startsWith('INSERT INTO t SELECT 100'));
      return found && found.outcomes.length > 0 ? found : undefined;
    }, "the slow INSERT's outcome");
    expect(slow.outcomes).toEqual([expect.objectContaining({ outcome: 'complete', tags: ['INSERT 0 1'] })]);
    // Every statement recorded has exactly one outcome; the one refused was never recorded (nor run).
    const all = await statementsAndOutcomes();
    for (const statement of all) expect(statement.outcomes, statement.sql).toHaveLength(1);
    expect(all.map((s) => s.sql)).not.toContain('INSERT INTO t VALUES (1)');
  });

  it('stops and refuses to start while the disk is full, saying why; the next start recovers and seals every statement', async () => {
    const last = await connect();
    await last.query('INSERT INTO t VALUES (3)');
    small.fill();
    // Use up what the journal's last block still holds.
    for (let i = 0; i < 200; i++) {
      if (
        await ask(`filler ${i}`).then(
          () => false,
          () => true,
        )
      )
        break;
    }
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(1);
    expect(serve.errors()).toMatch(/live sessions were left open \(the disk holding .* is full/);

    const refusedStart = await spawnServe(home, mock.url).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(refusedStart).toMatch(/glassbox: cannot start: the disk holding .* is full/);
    expect(refusedStart).toMatch(/Nothing recorded is lost/);
    expect(refusedStart).not.toMatch(/unexpected error/);

    small.free();
    serve = await spawnServe(home, mock.url);
    expect(serve.output()).toMatch(/Recovered\s+\d+ session/);
    const all = await statementsAndOutcomes();
    expect(all.map((s) => s.sql)).toContain('INSERT INTO t VALUES (3)');
    for (const statement of all) expect(statement.outcomes, statement.sql).toHaveLength(1);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(runCli(home, ['verify']).status).toBe(0);
  });
});
