import { describe, expect, it } from 'vitest';
import {
  type TrayInputs,
  trayIcon,
  trayIconFile,
  trayMenu,
  trayTitle,
  trayTooltip,
} from '../../../main/tray-model.js';

const base: TrayInputs = {
  engine: 'running',
  recording: true,
  sessionsToday: 3,
  pendingApprovals: 0,
  approvals: [],
  startAtLogin: false,
  claudeConfigured: false,
};

const labels = (inputs: TrayInputs) => trayMenu(inputs).map((item) => ('label' in item ? item.label : '—'));

describe('tray icon and menu from engine state', () => {
  it('picks the icon by precedence: error, approval, paused, recording', () => {
    expect(trayIcon(base)).toBe('recording');
    expect(trayIcon({ ...base, recording: false })).toBe('paused');
    expect(trayIcon({ ...base, recording: false, pendingApprovals: 2 })).toBe('approval');
    expect(trayIcon({ ...base, engine: 'restarting', pendingApprovals: 2 })).toBe('error');
    expect(trayIcon({ ...base, engine: 'failed' })).toBe('error');
  });

  it('uses template images on macOS only', () => {
    expect(trayIconFile('paused', 'darwin')).toBe('tray-pausedTemplate.png');
    expect(trayIconFile('paused', 'linux')).toBe('tray-paused.png');
    expect(trayIconFile('error', 'win32')).toBe('tray-error.png');
  });

  it('lists the menu with live counts', () => {
    expect(labels(base)).toEqual([
      'Recording',
      'Open Glassbox',
      '—',
      'Sessions today: 3',
      'Pending approvals: 0',
      '—',
      'Copy terminal setup',
      'Set up Claude Code…',
      'Start at login',
      '—',
      'Quit Glassbox',
    ]);
    const recording = trayMenu(base).find((item) => 'id' in item && item.id === 'toggle-recording');
    expect(recording).toMatchObject({ type: 'checkbox', checked: true, enabled: true });
  });

  it('says plainly that traffic is not recorded while paused', () => {
    const paused = { ...base, recording: false, pausedBy: 'alice via tray' };
    expect(labels(paused)).toContain('Paused by alice via tray: traffic is NOT recorded');
    expect(trayTooltip(paused)).toMatch(/PAUSED.*not recorded/);
    const toggle = trayMenu(paused).find((item) => 'id' in item && item.id === 'toggle-recording');
    expect(toggle).toMatchObject({ checked: false });
  });

  it('shows an engine that cannot record (a full disk) as an error, saying why', () => {
    const full = { ...base, notRecording: 'the disk holding /home/me/.glassbox/journal is full (ENOSPC)' };
    expect(trayIcon(full)).toBe('error');
    expect(trayIcon({ ...full, pendingApprovals: 2 })).toBe('error');
    expect(trayTooltip(full)).toBe(
      'Glassbox: NOT recording — the disk holding /home/me/.glassbox/journal is full (ENOSPC)',
    );
    expect(labels(full)).toContain(
      'Cannot record: the disk holding /home/me/.glassbox/journal is full (ENOSPC)',
    );
    expect(labels(full)).toContain('Clients are refused until this is fixed');
    expect(labels(base).some((label) => label.startsWith('Cannot record'))).toBe(false);
  });

  it('lists pending approvals in a submenu, each opening it, and shows the count as title and tooltip', () => {
    const approvals = [
      { id: 'ap_B', label: 'DELETE FROM carts — psql on shop' },
      { id: 'ap_A', label: 'DROP TABLE orders — psql on shop' },
    ];
    const inputs = { ...base, pendingApprovals: 3, approvals };
    const submenu = trayMenu(inputs).find((item) => item.type === 'submenu');
    expect(submenu).toEqual({
      type: 'submenu',
      label: 'Pending approvals (3)',
      items: [
        {
          type: 'action',
          id: 'open-approval',
          arg: 'ap_B',
          label: 'DELETE FROM carts — psql on shop',
          enabled: true,
        },
        {
          type: 'action',
          id: 'open-approval',
          arg: 'ap_A',
          label: 'DROP TABLE orders — psql on shop',
          enabled: true,
        },
        { type: 'info', label: 'and 1 more' },
        { type: 'separator' },
        { type: 'action', id: 'open-approvals', label: 'Open the Approvals inbox', enabled: true },
      ],
    });
    expect(trayTitle(inputs)).toBe('3');
    expect(trayTitle(base)).toBe('');
    expect(trayTooltip({ ...base, pendingApprovals: 1 })).toBe('Glassbox: 1 approval waiting');
    expect(labels(base)).toContain('Pending approvals: 0');
    expect(trayMenu(base).some((item) => item.type === 'submenu')).toBe(false);
  });

  it('offers undo once Claude Code is set up, and reflects login items', () => {
    const menu = trayMenu({ ...base, claudeConfigured: true, startAtLogin: true });
    expect(menu).toContainEqual({
      type: 'action',
      id: 'undo-claude',
      label: 'Undo Claude Code setup…',
      enabled: true,
    });
    expect(menu).toContainEqual({
      type: 'checkbox',
      id: 'toggle-start-at-login',
      label: 'Start at login',
      checked: true,
      enabled: true,
    });
  });

  it('disables the recording switch until the engine answers, and offers a retry when it failed', () => {
    const starting = trayMenu({ ...base, engine: 'starting', recording: undefined });
    expect(starting.find((item) => 'id' in item && item.id === 'toggle-recording')).toMatchObject({
      enabled: false,
    });
    const failed = trayMenu({ ...base, engine: 'failed', recording: undefined });
    expect(failed[0]).toEqual({ type: 'info', label: 'The engine could not be started' });
    expect(failed[1]).toMatchObject({ id: 'restart-engine', enabled: true });
    expect(trayTooltip({ ...base, engine: 'failed' })).toMatch(/could not be restarted/);
  });
});
