/**
 * "Start at login": Electron's login items on macOS and Windows, an XDG autostart `.desktop` file on Linux
 * (~/.config/autostart/glassbox.desktop, honouring XDG_CONFIG_HOME). The app is started with `--hidden`
 * so it comes up in the tray without a window.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Turning start-at-login on and off. */
export interface StartAtLogin {
  isEnabled(): boolean;
  setEnabled(enabled: boolean): void;
}

/** The slice of Electron's `app` that login items need (macOS, Windows). */
export interface LoginItemsApi {
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

/** The argument the app gets when started at login. */
export const HIDDEN_ARG = '--hidden';

/** Where the Linux autostart entry lives. */
export function autostartFile(env: NodeJS.ProcessEnv, home: string): string {
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  return join(configHome, 'autostart', 'glassbox.desktop');
}

/** The `.desktop` entry starting `command` (absolute executable, then arguments) hidden. */
export function desktopEntry(command: string[]): string {
  const exec = [...command, HIDDEN_ARG].map(quoteExecArg).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Glassbox',
    'Comment=Record what AI agents do',
    `Exec=${exec}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Linux: an autostart `.desktop` file for `command` at `file`. */
export function linuxStartAtLogin(file: string, command: string[]): StartAtLogin {
  return {
    isEnabled: () => existsSync(file) && /^X-GNOME-Autostart-enabled=true$/m.test(readFileSync(file, 'utf8')),
    setEnabled: (enabled) => {
      if (!enabled) return void rmSync(file, { force: true });
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, desktopEntry(command));
    },
  };
}

/** macOS and Windows: the OS's login items through Electron's `app`. */
export function loginItemsStartAtLogin(app: LoginItemsApi): StartAtLogin {
  const args = [HIDDEN_ARG];
  return {
    isEnabled: () => app.getLoginItemSettings({ args }).openAtLogin,
    setEnabled: (enabled) => app.setLoginItemSettings({ openAtLogin: enabled, args }),
  };
}

/** The Desktop Entry spec's quoting for an Exec argument. */
function quoteExecArg(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/[\\"`$]/g, (ch) => `\\${ch}`)}"`;
}
