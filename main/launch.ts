/**
 * `npm start`: opens the desktop app where Electron's binary and a display are available; elsewhere (CI,
 * SSH, containers) runs the engine headless in this process, exactly as `glassbox serve`, after one line on
 * standard error saying why the window did not open. Extra arguments go to `glassbox serve`.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { desktopAvailability, findElectronPackage } from './launch-check.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const availability = desktopAvailability({
  platform: process.platform,
  env: process.env,
  electronPackage: findElectronPackage(),
  desktopMain: join(here, 'main.js'),
});

if (availability.ok) {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(availability.electron, [join(here, 'main.js'), ...args], { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
} else {
  process.stderr.write(`Glassbox: no desktop window: ${availability.reason}. Running the engine headless.\n`);
  const cli = pathToFileURL(join(here, '..', 'proxy', 'cli.js')).href;
  const { main } = (await import(cli)) as { main: (argv: string[]) => Promise<void> };
  await main([process.argv[0]!, 'glassbox', 'serve', ...args]);
}
