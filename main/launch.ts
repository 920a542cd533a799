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
/** An Electron exit with an error sooner than this after start (ms) counts as "cannot open a window here". */
const FAST_FAILURE_MS = 5_000;
const availability = desktopAvailability({
  platform: process.platform,
  env: process.env,
  electronPackage: findElectronPackage(),
  desktopMain: join(here, 'main.js'),
});

if (availability.ok) {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const startedAt = Date.now();
  const child = spawn(availability.electron, [join(here, 'main.js'), ...args], { stdio: 'inherit', env });
  // Ctrl+C reaches Electron from the terminal itself (same process group); Electron handles only the first
  // SIGINT gracefully, so forwarding it again would kill it before the engine stops cleanly.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('error', (error) => void headless(`Electron could not be started (${error.message})`));
  child.on('exit', (code, signal) => {
    // An Electron that fails at once (no usable display, sandbox refused) falls back like a missing one.
    if (code !== 0 && signal === null && Date.now() - startedAt < FAST_FAILURE_MS) {
      void headless(`Electron exited with code ${code} right after starting`);
      return;
    }
    process.exitCode = code ?? (signal ? 1 : 0);
  });
} else {
  await headless(availability.reason);
}

/** Runs `glassbox serve` in this process after one line saying why no window opened. */
async function headless(reason: string): Promise<void> {
  process.stderr.write(`glassbox: no desktop window: ${reason}. Running the engine headless.\n`);
  const cli = pathToFileURL(join(here, '..', 'proxy', 'cli.js')).href;
  const { main } = (await import(cli)) as { main: (argv: string[]) => Promise<void> };
  await main([process.argv[0]!, 'glassbox', 'serve', ...args]);
}
