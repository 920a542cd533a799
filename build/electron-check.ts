/**
 * Finds Electron's downloaded binary (node_modules/electron/dist) for the packaging and native-module
 * scripts, or explains in one sentence why it is not there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The installed electron package: its version and, when downloaded, its dist folder. */
export interface ElectronInstall {
  version: string;
  /** node_modules/electron/dist, or undefined when the binary was never downloaded. */
  dist: string | undefined;
}

/**
 * @throws Error with a user-facing message when the electron package itself is missing
 */
export function electronInstall(): ElectronInstall {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('electron/package.json');
  } catch {
    throw new Error('the electron package is not installed (run `npm install` with dev dependencies)');
  }
  const root = dirname(packageJson);
  const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
  const pathFile = join(root, 'path.txt');
  const dist = join(root, 'dist');
  const binary = existsSync(pathFile) ? join(dist, readFileSync(pathFile, 'utf8').trim()) : undefined;
  return { version, dist: binary && existsSync(binary) ? dist : undefined };
}

/** The message for a missing Electron binary. */
export function missingBinaryMessage(what: string): string {
  const reason = process.env.ELECTRON_SKIP_BINARY_DOWNLOAD
    ? 'it was installed with ELECTRON_SKIP_BINARY_DOWNLOAD'
    : 'its download did not happen';
  return (
    `${what} needs Electron's binary, which is not installed (${reason}). On a machine with internet run ` +
    '`node node_modules/electron/install.js` (or reinstall without ELECTRON_SKIP_BINARY_DOWNLOAD), then try again.'
  );
}
