import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** What {@link desktopAvailability} looks at; defaults to this process's. */
export interface LaunchEnvironment {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** Where `require.resolve('electron')` lands (node_modules/electron/index.js), or undefined when absent. */
  electronPackage: string | undefined;
  /** The compiled Electron main process (dist/main/main.js). */
  desktopMain: string;
}

/** Whether the desktop app can open: the Electron binary's path, or the one-line reason it cannot. */
export type DesktopAvailability = { ok: true; electron: string } | { ok: false; reason: string };

/** Locates node_modules/electron/index.js from this file, or undefined when the package is not installed. */
export function findElectronPackage(from: string = import.meta.url): string | undefined {
  try {
    return createRequire(from).resolve('electron');
  } catch {
    return undefined;
  }
}

/**
 * Decides whether `npm start` can open the desktop window. Checks, in order: GLASSBOX_HEADLESS, the
 * electron package, its downloaded binary (node_modules/electron/path.txt and dist/), a display on Linux
 * and other Unixes (DISPLAY or WAYLAND_DISPLAY), and the built main process. Never throws.
 */
export function desktopAvailability(environment: LaunchEnvironment): DesktopAvailability {
  const { env, platform, electronPackage } = environment;
  if (env.GLASSBOX_HEADLESS && env.GLASSBOX_HEADLESS !== '0')
    return { ok: false, reason: 'GLASSBOX_HEADLESS is set' };
  if (!electronPackage) {
    return { ok: false, reason: 'Electron is not installed (npm install without --omit=dev)' };
  }
  const electron = electronBinary(electronPackage, env);
  if (!electron) {
    return {
      ok: false,
      reason: env.ELECTRON_SKIP_BINARY_DOWNLOAD
        ? "Electron's binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD)"
        : "Electron's binary is not installed (run `node node_modules/electron/install.js`)",
    };
  }
  const needsDisplay = platform !== 'darwin' && platform !== 'win32';
  if (needsDisplay && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { ok: false, reason: 'no display (DISPLAY/WAYLAND_DISPLAY unset)' };
  }
  if (!existsSync(environment.desktopMain)) {
    return { ok: false, reason: 'the desktop app is not built (run `npm run build`)' };
  }
  return { ok: true, electron };
}

/** The Electron executable as the electron package finds it, or undefined when it was never downloaded. */
function electronBinary(electronPackage: string, env: NodeJS.ProcessEnv): string | undefined {
  const root = dirname(electronPackage);
  const pathFile = join(root, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const binary = env.ELECTRON_OVERRIDE_DIST_PATH
    ? join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron')
    : join(root, 'dist', relative);
  return existsSync(binary) ? binary : undefined;
}
