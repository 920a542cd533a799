import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { desktopAvailability, findElectronPackage } from '../../../main/launch-check.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake node_modules/electron with (or without) a downloaded binary, and a built main.js. */
function electronDir(withBinary: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-electron-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'index.js'), '');
  if (withBinary) {
    writeFileSync(join(dir, 'path.txt'), 'electron');
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'electron'), '');
  }
  const main = join(dir, 'main.js');
  writeFileSync(main, '');
  return { pkg: join(dir, 'index.js'), binary: join(dir, 'dist', 'electron'), main };
}

describe('whether npm start can open the desktop window', () => {
  it('opens it when the binary and a display exist', () => {
    const e = electronDir(true);
    const env = { DISPLAY: ':0' };
    expect(
      desktopAvailability({ platform: 'linux', env, electronPackage: e.pkg, desktopMain: e.main }),
    ).toEqual({
      ok: true,
      electron: e.binary,
    });
    expect(
      desktopAvailability({ platform: 'darwin', env: {}, electronPackage: e.pkg, desktopMain: e.main }).ok,
    ).toBe(true);
  });

  it('says why not in one line', () => {
    const missing = electronDir(false);
    const present = electronDir(true);
    const reason = (env: NodeJS.ProcessEnv, pkg: string | undefined, main = present.main) => {
      const result = desktopAvailability({ platform: 'linux', env, electronPackage: pkg, desktopMain: main });
      return result.ok ? 'ok' : result.reason;
    };
    expect(reason({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1', DISPLAY: ':0' }, missing.pkg)).toBe(
      "Electron's binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD)",
    );
    expect(reason({ DISPLAY: ':0' }, undefined)).toMatch(/^Electron is not installed/);
    expect(reason({}, present.pkg)).toBe('no display (DISPLAY/WAYLAND_DISPLAY unset)');
    expect(reason({ WAYLAND_DISPLAY: 'wayland-0' }, present.pkg)).toBe('ok');
    expect(reason({ DISPLAY: ':0', GLASSBOX_HEADLESS: '1' }, present.pkg)).toBe('GLASSBOX_HEADLESS is set');
    expect(reason({ DISPLAY: ':0' }, present.pkg, join(present.main, 'nope'))).toMatch(/not built/);
    for (const text of [reason({}, present.pkg), reason({}, missing.pkg)]) expect(text).not.toContain('\n');
  });

  it('finds the electron package of this checkout (installed without its binary here)', () => {
    expect(findElectronPackage()).toMatch(/node_modules[/\\]electron[/\\]index\.js$/);
  });
});
