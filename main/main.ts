/**
 * The Electron main process: the only file (with preload.cts and electron-ports.ts) that imports Electron at
 * runtime. It wires Electron's APIs into the Electron-free shell (desktop.ts) and is not run by the tests.
 * Security per Electron's checklist: sandboxed, context-isolated window without Node; a strict CSP; pages
 * only from app://glassbox (the bundled renderer on disk); navigation and new windows refused; IPC answered
 * only for the app's own window (ipc-guard.ts); no permissions granted.
 */
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, dialog, net, protocol, safeStorage, session, shell } from 'electron';
import { hookCommand } from '../proxy/claude-code/settings.js';
import { appContentSecurityPolicy, isAppUrl, resolveAppAsset } from './app-protocol.js';
import { autostartFile, HIDDEN_ARG, linuxStartAtLogin, loginItemsStartAtLogin } from './autostart.js';
import { DesktopShell } from './desktop.js';
import { doNotDisturbProbe } from './dnd.js';
import {
  electronPorts,
  engineSettings,
  seenClientsFile,
  terminalSetup,
  utilityEngineChild,
} from './electron-ports.js';
import type { EngineSettings } from './engine-settings.js';
import { isOpenableExternally, registerIpc } from './ipc-guard.js';
import { watchEngine } from './live-signals.js';
import { NotificationDecider } from './notifications.js';
import { EngineSupervisor } from './supervisor.js';
import { loadVaultKey } from './vault-key.js';

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

// Started from a checkout (`npm start` runs Electron on dist/main/main.js) Electron would call itself
// "Electron" and share its settings folder with other unnamed apps: name it, as the packaged app is named.
app.setName('Glassbox');
app.setPath('userData', join(app.getPath('appData'), 'Glassbox'));
// Windows ties toast notifications to the installer's shortcut through this id (electron-builder's appId).
if (process.platform === 'win32') app.setAppUserModelId('dev.glassbox.desktop');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app
    .whenReady()
    .then(run)
    .catch((error: unknown) => {
      // Half-started, the app would hold the single-instance lock with neither tray nor window.
      dialog.showErrorBox('Glassbox could not start', String((error as Error)?.stack ?? error));
      app.exit(1);
    });
}

async function run(): Promise<void> {
  // dist/main/main.js → the checkout (or app.asar when packaged): dist/, bin/, build/icons/ are under it.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const engine = engineSettings(process.env, homedir());
  const vault = loadVaultKey(join(app.getPath('userData'), 'vault-key.bin'), safeStorage, process.platform);
  const trusted = new Set<number>();
  const csp = appContentSecurityPolicy(engine.apiUrl);
  const rendererDir = join(root, 'dist', 'renderer');

  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/api/')) {
      // The control API, same-origin for the window; the token is added here.
      const headers = new Headers(request.headers);
      headers.set('authorization', `Bearer ${engine.connection().token}`);
      headers.delete('origin');
      headers.delete('host');
      return net.fetch(`${engine.apiUrl}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        ...(request.method === 'GET' || request.method === 'HEAD'
          ? {}
          : { body: await request.arrayBuffer() }),
      });
    }
    const asset = resolveAppAsset(rendererDir, request.url);
    if (!asset) return new Response('not found (is the renderer built? npm run build)', { status: 404 });
    const file = await net.fetch(pathToFileURL(asset.path).toString());
    return new Response(file.body, {
      headers: {
        'content-type': asset.contentType,
        'content-security-policy': csp,
        'x-content-type-options': 'nosniff',
      },
    });
  });
  // The live feed's WebSocket cannot go through app://; it carries the API's own origin, which the guard accepts.
  session.defaultSession.webRequest.onBeforeSendHeaders(
    { urls: [`${engine.apiUrl.replace(/^http/, 'ws')}/*`] },
    (details, callback) => {
      const headers = { ...details.requestHeaders };
      if (details.webContentsId !== undefined && trusted.has(details.webContentsId))
        headers.Origin = engine.apiUrl;
      callback({ requestHeaders: headers });
    },
  );
  // No permission is granted, except writing text to the clipboard from the app's own window (copy buttons).
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback) =>
    callback(permission === 'clipboard-sanitized-write' && trusted.has(contents.id)),
  );
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isOpenableExternally(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });

  const ports = electronPorts({
    iconsDir: join(root, 'build', 'icons', 'tray'),
    preload: join(root, 'dist', 'main', 'preload.cjs'),
    trusted,
    quit: () => app.quit(),
  });
  const startAtLogin =
    process.platform === 'linux'
      ? linuxStartAtLogin(
          autostartFile(process.env, homedir()),
          // Packaged: the AppImage (or installed binary). From a checkout: Electron plus this script.
          app.isPackaged
            ? [process.env.APPIMAGE ?? process.execPath]
            : [process.execPath, fileURLToPath(import.meta.url)],
        )
      : loginItemsStartAtLogin(app);
  const dnd = doNotDisturbProbe(process.platform);
  const decider = new NotificationDecider({
    seen: seenClientsFile(join(app.getPath('userData'), 'seen-clients.json')),
    // GNOME's setting is read (dnd.ts); macOS Focus and Windows Focus Assist hold notifications back in
    // the OS itself. Nothing is queued to burst out afterwards.
    doNotDisturb: dnd.quiet,
  });
  const supervisor = new EngineSupervisor({
    launch: () => utilityEngineChild(root, engine, vault.key),
    // Ready when its API answers 200 with the token it wrote (not merely something on the port).
    ready: () => engine.client().healthy(),
    onState: (state) => {
      desktop.engineState(state);
      if (state === 'running') watcher.start();
    },
    onGiveUp: (report) => {
      void dialog
        .showMessageBox({
          type: 'error',
          title: 'Glassbox',
          message: `Glassbox's engine stopped ${report.failures} times in a row and was not restarted again.`,
          detail: report.output.trim() || `exit code ${report.lastExitCode}`,
          buttons: ['Keep in tray', 'Quit'],
        })
        .then(({ response }) => response === 1 && app.quit());
    },
  });
  const desktop = new DesktopShell({
    ports,
    supervisor,
    connection: engine.connection,
    decider,
    startAtLogin,
    claudeSettings: join(homedir(), '.claude', 'settings.json'),
    // Electron's binary run as Node, as for `glassbox env`; the data directory too when it is not the default.
    claudeHookCommand: hookCommand(process.execPath, join(root, 'bin', 'glassbox.js'), {
      ELECTRON_RUN_AS_NODE: '1',
      ...(process.env.GLASSBOX_HOME?.trim() ? { GLASSBOX_HOME: engine.home } : {}),
    }),
    terminalSetup: () => terminalSetup(root),
    secretsWarning: vault.warning,
  });
  ports.onAction((action, arg) => void desktop.act(action, arg));
  registerIpc(
    ports.ipc,
    {
      'glassbox:connection': () => engine.connection(),
      'glassbox:desktop-state': () => desktop.desktopState(),
      'glassbox:open-external': async (url) => {
        if (!isOpenableExternally(url)) return false;
        await shell.openExternal(url);
        return true;
      },
      'glassbox:sign-in': () => desktop.signIn(),
    },
    trusted,
  );
  app.on('second-instance', () => ports.openWindow());
  app.on('window-all-closed', () => undefined); // stays in the tray
  const watcher = liveWatcher(engine, decider, desktop);
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    watcher.stop();
    void supervisor.stop().finally(() => app.exit(0));
  });

  desktop.engineState('stopped');
  if (vault.warning && process.platform === 'linux') ports.alert('error', 'Glassbox: secrets', vault.warning);
  if (!process.argv.includes(HIDDEN_ARG)) ports.openWindow();
  await supervisor.start();
}

/** Follows the engine's live feed once it first runs (the feed itself reconnects across restarts). */
function liveWatcher(engine: EngineSettings, decider: NotificationDecider, desktop: DesktopShell) {
  const state: { stop: (() => void) | undefined } = { stop: undefined };
  return {
    start: () => {
      if (state.stop) return;
      // Clients recorded before the app started are not news.
      void engine
        .client()
        .knownClients()
        .then((clients) => decider.remember(clients))
        .catch(() => undefined)
        .finally(() => {
          state.stop ??= watchEngine({
            address: engine.connection(),
            client: engine.client(),
            onSignal: (signal) => desktop.notify(decider.decide(signal)),
            onChange: () => void desktop.refresh(),
            onApproval: (approval) => desktop.approvalChanged(approval),
            onIdentity: (state) => desktop.identityChanged(state),
            onTeam: (status) => desktop.teamChanged(status),
          });
        });
    },
    stop: () => state.stop?.(),
  };
}
