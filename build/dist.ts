/**
 * `npm run dist`: packages the desktop app with electron-builder (build/electron-builder.yml) for the
 * current platform, or the targets given after `--` (e.g. `npm run dist -- --linux AppImage deb`).
 * Fails at once with a clear message when Electron's binary is unavailable, instead of letting
 * electron-builder attempt downloads that cannot succeed. Uses the installed Electron (electronDist), so
 * the Electron version packaged is the one the app was developed and tested against.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronInstall, missingBinaryMessage } from './electron-check.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

let electron: ReturnType<typeof electronInstall>;
try {
  electron = electronInstall();
} catch (error) {
  process.stderr.write(`npm run dist: ${(error as Error).message}\n`);
  process.exit(1);
}
if (!electron.dist) {
  process.stderr.write(`npm run dist: ${missingBinaryMessage('Packaging')}\n`);
  process.exit(1);
}
const build = await run('npm', ['run', 'build']);
if (build !== 0) process.exit(build);
const code = await run(join(root, 'node_modules', '.bin', 'electron-builder'), [
  '--config',
  'build/electron-builder.yml',
  `-c.electronDist=${electron.dist}`,
  `-c.electronVersion=${electron.version}`,
  ...process.argv.slice(2),
]);
if (code !== 0) {
  process.stderr.write(
    'npm run dist: electron-builder failed (see above). Packaging downloads its tools and Electron headers; it needs internet.\n',
  );
}
process.exit(code);
