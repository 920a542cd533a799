import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linuxStartAtLogin } from '../../main/autostart.js';
import { type DesktopPorts, DesktopShell } from '../../main/desktop.js';
import { EngineClient } from '../../main/engine-client.js';
import { glassboxEnv } from '../../main/engine-settings.js';
import type { DesktopState } from '../../main/ipc-contract.js';
import { watchEngine } from '../../main/live-signals.js';
import { NotificationDecider, type NotificationSpec } from '../../main/notifications.js';
import { EngineSupervisor } from '../../main/supervisor.js';
import type { TrayIconState, TrayMenuItem } from '../../main/tray-model.js';
import { hookCommand } from '../../proxy/claude-code/settings.js';
import { sqlSubject } from '../helpers/approvals.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const HOOK_COMMAND = hookCommand('/opt/Glassbox/glassbox', '/opt/Glassbox/bin/glassbox.js', {
  ELECTRON_RUN_AS_NODE: '1',
});

/** Records what the shell asks of Electron. */
function recordingPorts(answer: boolean) {
  const seen = {
    tray: [] as Array<{ icon: TrayIconState; tooltip: string; menu: TrayMenuItem[]; title: string }>,
    opened: [] as Array<string | undefined>,
    notifications: [] as NotificationSpec[],
    alerts: [] as string[],
    confirms: [] as string[],
    copied: [] as string[],
    external: [] as string[],
    states: [] as DesktopState[],
  };
  const ports: DesktopPorts = {
    showTray: (icon, tooltip, menu, title) => void seen.tray.push({ icon, tooltip, menu, title }),
    notify: (spec) => void seen.notifications.push(spec),
    confirm: async (_title, message) => {
      seen.confirms.push(message);
      return answer;
    },
    alert: (_kind, _title, message) => void seen.alerts.push(message),
    copyText: (text) => void seen.copied.push(text),
    openExternal: async (url) => void seen.external.push(url),
    openWindow: (route) => void seen.opened.push(route),
    pushState: (state) => void seen.states.push(state),
    quit: () => undefined,
  };
  return { ports, seen };
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('desktop shell against a real engine', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let scratch: string;
  beforeAll(async () => {
    mock = await MockAnthropic.start();
    test = await startTestEngine(mock.url);
    scratch = mkdtempSync(join(tmpdir(), 'glassbox-shell-'));
  });
  afterAll(async () => {
    await test.cleanup();
    await mock.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const connection = () => ({ apiUrl: test.engine.addresses.apiUrl, token: test.engine.addresses.token });

  function shell(answer = true) {
    const { ports, seen } = recordingPorts(answer);
    const decider = new NotificationDecider({
      seen: { load: () => [], save: () => undefined },
      doNotDisturb: () => false,
    });
    const desktop = new DesktopShell({
      ports,
      // Not started: the engine here runs in-process; the supervisor's own tests use real processes.
      supervisor: new EngineSupervisor({ launch: () => ({}) as never, ready: async () => true }),
      connection,
      decider,
      startAtLogin: linuxStartAtLogin(join(scratch, 'autostart', 'glassbox.desktop'), ['/usr/bin/glassbox']),
      claudeSettings: join(scratch, '.claude', 'settings.json'),
      claudeHookCommand: HOOK_COMMAND,
      terminalSetup: () =>
        glassboxEnv(process.cwd(), process.execPath, {
          ...process.env,
          SHELL: '/usr/bin/fish',
          GLASSBOX_HOME: test.home,
        }),
      secretsWarning: null,
    });
    return { desktop, seen, decider };
  }

  it('shows the engine state in the tray and pauses and resumes recording from it', async () => {
    const { desktop, seen } = shell();
    desktop.engineState('running');
    await waitFor(() => seen.tray.at(-1)?.menu.some((i) => i.type === 'checkbox' && i.enabled) ?? false);
    expect(seen.tray.at(-1)!.icon).toBe('recording');
    await desktop.act('toggle-recording');
    expect(seen.tray.at(-1)!.icon).toBe('paused');
    expect(seen.tray.at(-1)!.tooltip).toMatch(/not recorded/);
    expect(seen.states.at(-1)!.notice).toMatch(/NOT recorded/);
    expect((await new EngineClient(connection()).recording()).paused?.via).toBe('tray');
    await desktop.act('toggle-recording');
    expect(seen.tray.at(-1)!.icon).toBe('recording');
    desktop.engineState('restarting');
    expect(seen.tray.at(-1)!.icon).toBe('error');
  });

  it('copies the `glassbox env` lines for the user’s shell, with the port the engine really listens on', async () => {
    const { desktop, seen } = shell();
    await desktop.act('copy-terminal-setup');
    expect(seen.copied).toEqual([`set -gx ANTHROPIC_BASE_URL ${test.engine.addresses.anthropicUrl}\n`]);
  });

  it('sets up Claude Code after confirmation with the proxy’s real address, and undoes it', async () => {
    const declined = shell(false);
    await declined.desktop.act('setup-claude');
    expect(declined.seen.confirms[0]).toContain(test.engine.addresses.anthropicUrl);
    const settings = join(scratch, '.claude', 'settings.json');
    expect(() => readFileSync(settings)).toThrow();
    const { desktop, seen } = shell(true);
    await desktop.act('setup-claude');
    // The same shared writer as `glassbox setup claude-code`: the proxy's URL and the guard hook.
    expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({
      env: { ANTHROPIC_BASE_URL: test.engine.addresses.anthropicUrl },
      hooks: {
        PreToolUse: [
          {
            matcher: 'Bash|Write|Edit|MultiEdit|NotebookEdit',
            hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 600 }],
          },
        ],
      },
    });
    expect(desktop.trayInputs().claudeConfigured).toBe(true);
    await desktop.act('undo-claude');
    expect(JSON.parse(readFileSync(settings, 'utf8'))).toEqual({});
    expect(seen.alerts.at(-1)).toMatch(/no longer goes through Glassbox/);
  });

  it('toggles start at login', async () => {
    const { desktop } = shell();
    expect(desktop.trayInputs().startAtLogin).toBe(false);
    await desktop.act('toggle-start-at-login');
    expect(desktop.trayInputs().startAtLogin).toBe(true);
    await desktop.act('toggle-start-at-login');
    expect(desktop.trayInputs().startAtLogin).toBe(false);
  });

  it('notifies a new client once and counts its session today, from the live feed', async () => {
    const { desktop, seen, decider } = shell();
    desktop.engineState('running');
    const stop = watchEngine({
      address: connection(),
      client: new EngineClient(connection()),
      onSignal: (signal) => desktop.notify(decider.decide(signal)),
      onChange: () => void desktop.refresh(),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200)); // the feed connects
      for (const session of ['live-1', 'live-2']) {
        const response = await fetch(`${test.engine.addresses.anthropicUrl}/v1/messages`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'desktop-test-agent/1.0',
            'x-glassbox-session': session,
          },
          body: JSON.stringify({
            model: 'claude-x',
            max_tokens: 5,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
        await response.text();
      }
      await waitFor(() => seen.notifications.length > 0);
      await waitFor(() => desktop.trayInputs().sessionsToday >= 2);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.notifications.filter((n) => n.key === 'client:desktop-test-agent/1.0')).toHaveLength(1);
    } finally {
      stop();
    }
  });
  it('shows pending approvals in the tray from engine state, and notifies each request exactly once', async () => {
    const { desktop, seen, decider } = shell();
    // One already waits when the app starts: counted and listed, not announced.
    const before = test.engine.approvals.request(
      sqlSubject(test.engine.store, 'DELETE FROM orders'),
    ).approval;
    desktop.engineState('running');
    await waitFor(() => desktop.trayInputs().pendingApprovals === 1);
    expect(seen.tray.at(-1)!.title).toBe('1');
    expect(seen.tray.at(-1)!.icon).toBe('approval');
    const stop = watchEngine({
      address: connection(),
      client: new EngineClient(connection()),
      onSignal: (signal) => desktop.notify(decider.decide(signal)),
      onChange: () => void desktop.refresh(),
      onApproval: (approval) => desktop.approvalChanged(approval),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200)); // the feed connects
      const subject = sqlSubject(test.engine.store, 'DROP TABLE orders', { rule: 'pg.drop' });
      const asked = test.engine.approvals.request(subject).approval;
      await waitFor(() => desktop.trayInputs().pendingApprovals === 2);
      const tray = seen.tray.at(-1)!;
      expect(tray.title).toBe('2');
      expect(tray.tooltip).toBe('Glassbox: 2 approvals waiting');
      const submenu = tray.menu.find((item) => item.type === 'submenu');
      expect(submenu?.type === 'submenu' && submenu.items.slice(0, 2)).toEqual([
        {
          type: 'action',
          id: 'open-approval',
          arg: asked.id,
          label: 'DROP TABLE orders — psql on shop',
          enabled: true,
        },
        {
          type: 'action',
          id: 'open-approval',
          arg: before.id,
          label: 'DELETE FROM orders — psql on shop',
          enabled: true,
        },
      ]);
      await waitFor(() => seen.notifications.some((n) => n.key === `approval:${asked.id}`));
      // Decisions, expiry and withdrawal update the tray but never notify again.
      test.engine.approvals.decide(asked.id, { approve: true, by: { os_user: 'bob', via: 'cli' } });
      test.engine.approvals.withdraw(before.id, 'the client went away');
      await waitFor(() => desktop.trayInputs().pendingApprovals === 0);
      expect(seen.tray.at(-1)!.title).toBe('');
      expect(seen.tray.at(-1)!.menu.some((item) => item.type === 'submenu')).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const approvals = seen.notifications.filter((n) => n.key.startsWith('approval:'));
      expect(approvals).toHaveLength(1);
      expect(approvals[0]).toMatchObject({
        title: 'Approval requested: DELETE without WHERE needs an approval',
        open: `/approvals/${asked.id}`,
      });
      expect(approvals[0]!.body).toBe(
        `DROP TABLE orders\npsql on shop as ${subject.identity!.os_user} · rule pg.drop`,
      );
      // A submenu entry opens that approval in the window.
      await desktop.act('open-approval', asked.id);
      expect(seen.opened.at(-1)).toBe(`/approvals/${asked.id}`);
    } finally {
      stop();
    }
  });
});

describe('upstream unreachable, from the live feed', () => {
  it('notifies once per outage', async () => {
    // An upstream nobody listens on.
    const dead = await MockAnthropic.start();
    const url = dead.url;
    await dead.stop();
    const test = await startTestEngine(url);
    try {
      const connection = { apiUrl: test.engine.addresses.apiUrl, token: test.engine.addresses.token };
      const signals: string[] = [];
      const decider = new NotificationDecider({
        seen: { load: () => [], save: () => undefined },
        doNotDisturb: () => false,
      });
      const shown: NotificationSpec[] = [];
      const stop = watchEngine({
        address: connection,
        client: new EngineClient(connection),
        onSignal: (signal) => {
          signals.push(signal.type);
          const spec = decider.decide(signal);
          if (spec) shown.push(spec);
        },
        onChange: () => undefined,
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${test.engine.addresses.anthropicUrl}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-glassbox-session': 'down' },
          body: JSON.stringify({
            model: 'claude-x',
            max_tokens: 5,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
        expect(response.status).toBe(502);
        await response.text();
      }
      await waitFor(() => signals.filter((s) => s === 'upstream-unreachable').length === 2);
      stop();
      const upstream = shown.filter((spec) => spec.key.startsWith('upstream:'));
      expect(upstream.map((spec) => spec.title)).toEqual(['Upstream unreachable']);
      expect(upstream[0]!.body).toMatch(/could not reach/);
    } finally {
      await test.cleanup();
    }
  });
});
