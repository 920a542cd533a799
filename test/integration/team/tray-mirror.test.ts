/**
 * The tray follows the team mirror through the engine's real control API: live `team` messages pushed on
 * /api/live (the way the engine's mirror announces its status) reach the desktop shell over the real
 * WebSocket watcher and change its "Team: …" line; an engine without GET /api/team (404) shows no line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linuxStartAtLogin } from '../../../main/autostart.js';
import { type DesktopPorts, DesktopShell } from '../../../main/desktop.js';
import { EngineClient } from '../../../main/engine-client.js';
import { watchEngine } from '../../../main/live-signals.js';
import { NotificationDecider } from '../../../main/notifications.js';
import { EngineSupervisor } from '../../../main/supervisor.js';
import type { TrayMenuItem } from '../../../main/tray-model.js';
import { ApiServer } from '../../../proxy/api/server.js';
import type { LiveMessage } from '../../../proxy/api/types.js';
import { Store } from '../../../proxy/store/store.js';
import type { MirrorStatus } from '../../../proxy/sync/types.js';

const TOKEN = 'tray-t0ken';

function status(extra: Partial<MirrorStatus> = {}): MirrorStatus {
  return {
    configured: true,
    url: 'https://glassbox.example.test',
    state: 'up-to-date',
    sessions_behind: 0,
    events_behind: 0,
    refused: 0,
    last_success_at: null,
    last_error: null,
    sessions: [],
    ...extra,
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the tray’s team line over the live feed', () => {
  let home: string;
  let store: Store;
  let server: ApiServer;
  const pushers: Array<(message: LiveMessage) => void> = [];
  const push = (message: LiveMessage) => {
    for (const p of pushers) p(message);
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'gb-tray-team-'));
    store = Store.open(join(home, 'glassbox.db'), { journalDir: join(home, 'journal') });
    server = new ApiServer({
      store,
      token: TOKEN,
      host: '127.0.0.1',
      port: 0,
      version: 'test',
      rendererDir: null,
      health: () => ({
        proxies: {
          anthropic: {
            url: '',
            upstream: '',
            status: { state: 'unknown', since: null, last_error: null, failed_requests: 0 },
          },
        },
        postgres: { pending: {}, sources: [] },
        guard: { status: 'ok', enabled: true },
      }),
      notices: (p) => {
        pushers.push(p);
        return () => undefined;
      },
    });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    store?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('shows, changes and drops the line as the engine’s team messages arrive', async () => {
    const menus: TrayMenuItem[][] = [];
    const ports: DesktopPorts = {
      showTray: (_icon, _tooltip, menu) => void menus.push(menu),
      notify: () => undefined,
      confirm: async () => false,
      alert: () => undefined,
      copyText: () => undefined,
      openExternal: async () => undefined,
      openWindow: () => undefined,
      pushState: () => undefined,
      quit: () => undefined,
    };
    const address = { apiUrl: server.url, token: TOKEN };
    const desktop = new DesktopShell({
      ports,
      supervisor: new EngineSupervisor({ launch: () => ({}) as never, ready: async () => true }),
      connection: () => address,
      decider: new NotificationDecider({
        seen: { load: () => [], save: () => undefined },
        doNotDisturb: () => false,
      }),
      startAtLogin: linuxStartAtLogin(join(home, 'autostart', 'glassbox.desktop'), ['/usr/bin/glassbox']),
      claudeSettings: join(home, '.claude', 'settings.json'),
      claudeHookCommand: 'glassbox hook claude-code',
      terminalSetup: async () => '',
      secretsWarning: null,
    });
    const teamLine = () =>
      menus
        .at(-1)
        ?.map((item) => ('label' in item ? item.label : ''))
        .find((label) => label.startsWith('Team:'));
    let connected = false;
    const stop = watchEngine({
      address,
      client: new EngineClient(address),
      onSignal: () => undefined,
      onChange: () => {
        connected = true;
        void desktop.refresh();
      },
      onTeam: (s) => desktop.teamChanged(s),
    });
    try {
      desktop.engineState('running');
      await until(() => connected && menus.length > 1, 'the feed and a first tray');
      await desktop.refresh(); // GET /api/team answers 404 here (no mirror in this control API): no line
      expect(teamLine()).toBeUndefined();

      push({ type: 'team', status: status({ state: 'mirroring', sessions_behind: 3, events_behind: 90 }) });
      await until(() => teamLine() === 'Team: 3 sessions behind', 'the behind line');
      push({ type: 'team', status: status({ state: 'offline', last_error: 'connect ECONNREFUSED' }) });
      await until(() => teamLine() === 'Team: offline — retrying', 'the offline line');
      push({ type: 'team', status: status({ state: 'refused', refused: 1 }) });
      await until(() => teamLine() === 'Team: refused 1 session', 'the refused line');
      push({ type: 'team', status: status() });
      await until(() => teamLine() === 'Team: up to date', 'the up-to-date line');
      push({ type: 'team', status: status({ configured: false, url: null, state: 'off' }) });
      await until(() => menus.length > 0 && teamLine() === undefined, 'the line gone');
    } finally {
      stop();
    }
  }, 60_000);
});
