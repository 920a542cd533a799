/**
 * `npm run rebuild:electron`: builds better-sqlite3's native module for Electron's ABI into
 * native/electron/better_sqlite3.node, leaving node_modules/better-sqlite3 (the plain-Node build that tests
 * and `glassbox serve` use) untouched. The desktop app passes that file to the engine in
 * GLASSBOX_SQLITE_BINDING (Store.open loads it through better-sqlite3's `nativeBinding` option).
 *
 * Works on a copy of the package in a temporary folder: first `prebuild-install --runtime electron` (a
 * prebuilt binary from better-sqlite3's releases), else `node-gyp rebuild` against Electron's headers. Both
 * download; without internet this fails with a message saying so.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronInstall } from './electron-check.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'native', 'electron', 'better_sqlite3.node');

/**
 * The environment for the build tools without npm's `nodedir` setting, which would make node-gyp compile
 * against this Node's headers (a module Electron refuses) instead of Electron's.
 */
function buildEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.toLowerCase() === 'npm_config_nodedir') delete env[name];
  return env;
}

function run(command: string, args: string[], cwd: string, quiet = false): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: buildEnv(),
      stdio: quiet ? 'ignore' : 'inherit',
      shell: process.platform === 'win32',
    });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

const { version } = electronInstall();
const source = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
const work = mkdtempSync(join(tmpdir(), 'glassbox-sqlite-electron-'));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
try {
  cpSync(source, work, { recursive: true, filter: (path) => !path.startsWith(join(source, 'build')) });
  const common = [`--target=${version}`, `--arch=${process.arch}`];
  let code = await run(bin('prebuild-install'), ['--runtime=electron', ...common, '--verbose'], work);
  if (code !== 0) {
    process.stderr.write(
      'No prebuilt better-sqlite3 for this Electron; compiling against Electron headers…\n',
    );
    code = await run(
      bin('node-gyp'),
      ['rebuild', '--release', ...common, '--dist-url=https://electronjs.org/headers'],
      work,
    );
  }
  const built = join(work, 'build', 'Release', 'better_sqlite3.node');
  if (code !== 0 || !existsSync(built)) {
    process.stderr.write(
      `rebuild:electron: could not build better-sqlite3 for Electron ${version}. This needs internet ` +
        '(a prebuilt binary from GitHub, or Electron headers from electronjs.org plus a C++ toolchain).\n',
    );
    process.exit(1);
  }
  // A module plain Node can load was built for Node's ABI, not Electron's: refuse it.
  const loadsInNode = await run(
    process.execPath,
    [
      '-e',
      `new (require(${JSON.stringify(join(source, 'lib'))}))(':memory:', { nativeBinding: process.argv[1] })`,
      built,
    ],
    root,
    true,
  );
  if (loadsInNode === 0) {
    process.stderr.write(
      'rebuild:electron: the module was built for Node, not Electron (check npm/node-gyp nodedir settings).\n',
    );
    process.exit(1);
  }
  mkdirSync(dirname(target), { recursive: true });
  cpSync(built, target);
  process.stdout.write(`Built ${target} for Electron ${version} (${process.platform}-${process.arch}).\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
