/**
 * Electron implementations of the shell's ports (tray, notifications, dialogs, clipboard, window, IPC) and
 * of the engine child (utilityProcess). Imports Electron at runtime; not run by the tests.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BrowserWindow,
  clipboard,
  dialog,
  ipcMain,
  Menu,
  type MenuItemConstructorOptions,
  Notification,
  nativeImage,
  shell,
  Tray,
  utilityProcess,
} from 'electron';
import type { DesktopPorts } from './desktop.js';
import { type EngineSettings, glassboxEnv } from './engine-settings.js';
import type { IpcRegistrar } from './ipc-guard.js';
import type { EngineChild } from './supervisor.js';
import { type TrayAction, type TrayMenuItem, trayIconFile } from './tray-model.js';
import { VAULT_KEY_ENV } from './vault-key.js';

export { engineSettings, seenClientsFile } from './engine-settings.js';

/** The Electron ports plus what main.ts wires itself. */
export interface ElectronPorts extends DesktopPorts {
  ipc: IpcRegistrar;
  /** Tray menu clicks: the action, and the thing it concerns (`open-approval`: the approval's id). */
  onAction(listener: (action: TrayAction, arg?: string) => void): void;
}

/** Builds the tray, window and dialog ports. `trusted` receives the window's webContents id. */
export function electronPorts(options: {
  iconsDir: string;
  preload: string;
  trusted: Set<number>;
  quit: () => void;
}): ElectronPorts {
  const tray = new Tray(
    nativeImage.createFromPath(join(options.iconsDir, trayIconFile('recording', process.platform))),
  );
  const listeners: Array<(action: TrayAction, arg?: string) => void> = [];
  const holder: { window: BrowserWindow | undefined } = { window: undefined };
  const shown = new Set<Notification>();
  const toMenu = (item: TrayMenuItem): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'separator':
        return { type: 'separator' };
      case 'info':
        return { label: item.label, enabled: false };
      case 'submenu':
        return { label: item.label, submenu: item.items.map(toMenu) };
      case 'checkbox':
      case 'action':
        return {
          label: item.label,
          enabled: item.enabled,
          ...(item.type === 'checkbox' ? { type: 'checkbox' as const, checked: item.checked } : {}),
          click: () => {
            for (const listener of listeners)
              listener(item.id, item.type === 'action' ? item.arg : undefined);
          },
        };
    }
  };
  const openWindow = (route?: string) => {
    let window = holder.window;
    if (!window || window.isDestroyed()) {
      window = new BrowserWindow({
        width: 1200,
        height: 800,
        show: false,
        title: 'Glassbox',
        webPreferences: {
          preload: options.preload,
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          webSecurity: true,
          spellcheck: false,
        },
      });
      options.trusted.add(window.webContents.id);
      const id = window.webContents.id;
      window.on('closed', () => options.trusted.delete(id));
      window.once('ready-to-show', () => window?.show());
      // A new window opens on the route asked for (it could not receive a navigate message before it loads).
      void window.loadURL(`app://glassbox${route?.startsWith('/') ? route : '/'}`);
      holder.window = window;
      return;
    }
    window.show();
    window.focus();
    if (!route) return;
    const contents = window.webContents;
    if (contents.isLoading())
      contents.once('did-finish-load', () => contents.send('glassbox:navigate', route));
    else contents.send('glassbox:navigate', route);
  };
  return {
    ipc: {
      handle: (channel, listener) =>
        ipcMain.handle(channel, (event, ...args: unknown[]) =>
          listener(
            {
              senderId: event.sender.id,
              frameUrl: event.senderFrame?.url,
              isMainFrame: event.senderFrame !== null && event.senderFrame === event.sender.mainFrame,
            },
            ...args,
          ),
        ),
    },
    onAction: (listener) => void listeners.push(listener),
    showTray: (icon, tooltip, menu, title) => {
      const file = join(options.iconsDir, trayIconFile(icon, process.platform));
      if (existsSync(file)) tray.setImage(nativeImage.createFromPath(file));
      tray.setToolTip(tooltip);
      // Beside the icon in macOS's menu bar (ignored elsewhere): the pending approvals' count.
      if (process.platform === 'darwin') tray.setTitle(title);
      tray.setContextMenu(Menu.buildFromTemplate(menu.map(toMenu)));
    },
    notify: (spec) => {
      if (!Notification.isSupported()) return;
      const notification = new Notification({ title: spec.title, body: spec.body });
      // Electron holds a notification weakly: kept here until it is clicked or closed, or its click is lost.
      shown.add(notification);
      notification.on('click', () => {
        shown.delete(notification);
        openWindow(spec.open);
      });
      notification.on('close', () => shown.delete(notification));
      notification.show();
    },
    confirm: async (title, message, detail, yes) =>
      (
        await dialog.showMessageBox({
          type: 'question',
          title,
          message,
          detail,
          buttons: [yes, 'Cancel'],
          defaultId: 0,
          cancelId: 1,
        })
      ).response === 0,
    alert: (kind, title, message) =>
      void dialog.showMessageBox({ type: kind, title, message, buttons: ['OK'] }),
    copyText: (text) => clipboard.writeText(text),
    openExternal: (url) => shell.openExternal(url),
    openWindow,
    pushState: (state) => {
      const window = holder.window;
      if (window && !window.isDestroyed()) window.webContents.send('glassbox:desktop-state-changed', state);
    },
    quit: options.quit,
  };
}

/**
 * The engine in an Electron utilityProcess running main/engine-entry.ts (`glassbox serve`). The vault key
 * goes in its environment only; better-sqlite3's Electron build is selected with GLASSBOX_SQLITE_BINDING
 * when `npm run rebuild:electron` (or packaging) produced it.
 */
export function utilityEngineChild(
  root: string,
  engine: EngineSettings,
  vaultKey: string | null,
): EngineChild {
  const binding = join(root, 'native', 'electron', 'better_sqlite3.node');
  const child = utilityProcess.fork(join(root, 'dist', 'main', 'engine-entry.js'), [], {
    serviceName: 'Glassbox engine',
    stdio: 'pipe',
    env: {
      ...process.env,
      GLASSBOX_HOME: engine.home,
      GLASSBOX_SERVE_ARGS: JSON.stringify(['--api-port', String(engine.apiPort)]),
      ...(vaultKey ? { [VAULT_KEY_ENV]: vaultKey } : {}),
      ...(existsSync(binding) ? { GLASSBOX_SQLITE_BINDING: binding } : {}),
    },
  });
  const output: Array<(text: string) => void> = [];
  const emit = (chunk: Buffer) => {
    process.stdout.write(chunk);
    for (const listener of output) listener(chunk.toString());
  };
  child.stdout?.on('data', emit);
  child.stderr?.on('data', emit);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    requestStop: () => child.postMessage({ type: 'stop' }),
    kill: () => void child.kill(),
    onExit: (listener) => void exited.then(listener),
    onOutput: (listener) => void output.push(listener),
  };
}

/** The `glassbox env` lines, run by Electron's binary as Node. */
export function terminalSetup(root: string): Promise<string> {
  return glassboxEnv(root, process.execPath, process.env);
}
