import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  autostartFile,
  desktopEntry,
  type LoginItemsApi,
  linuxStartAtLogin,
  loginItemsStartAtLogin,
} from '../../../main/autostart.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('start at login', () => {
  it('places the Linux entry under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(autostartFile({ XDG_CONFIG_HOME: '/x/cfg' }, '/home/u')).toBe('/x/cfg/autostart/glassbox.desktop');
    expect(autostartFile({}, '/home/u')).toBe('/home/u/.config/autostart/glassbox.desktop');
  });

  it('writes and removes an autostart .desktop file that starts the app hidden', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glassbox-autostart-'));
    dirs.push(dir);
    const file = autostartFile({ XDG_CONFIG_HOME: join(dir, 'config') }, dir);
    const login = linuxStartAtLogin(file, ['/opt/Glassbox/glassbox', '--no-sandbox-never']);
    expect(login.isEnabled()).toBe(false);
    login.setEnabled(true);
    expect(login.isEnabled()).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\[Desktop Entry\]\nType=Application\nName=Glassbox\n/);
    expect(text).toContain('Exec=/opt/Glassbox/glassbox --no-sandbox-never --hidden\n');
    login.setEnabled(false);
    expect(login.isEnabled()).toBe(false);
    login.setEnabled(false); // idempotent
  });

  it('quotes Exec arguments with spaces and specials as the Desktop Entry spec asks', () => {
    expect(desktopEntry(['/home/a b/App Image', 'x"y'])).toContain(
      'Exec="/home/a b/App Image" "x\\"y" --hidden',
    );
  });

  it('uses the OS login items on macOS and Windows', () => {
    const calls: unknown[] = [];
    let open = false;
    const app: LoginItemsApi = {
      getLoginItemSettings: (options) => {
        calls.push(['get', options]);
        return { openAtLogin: open };
      },
      setLoginItemSettings: (settings) => {
        calls.push(['set', settings]);
        open = settings.openAtLogin;
      },
    };
    const login = loginItemsStartAtLogin(app);
    expect(login.isEnabled()).toBe(false);
    login.setEnabled(true);
    expect(login.isEnabled()).toBe(true);
    expect(calls).toContainEqual(['set', { openAtLogin: true, args: ['--hidden'] }]);
  });
});
