import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectOutput } from '../helpers/process.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

describe('npm start without a usable Electron', () => {
  it('runs the engine headless, prints the dashboard URL and says in one line why no window opened', async () => {
    const home = mkdtempSync(join(tmpdir(), 'glassbox-start-'));
    homes.push(home);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GLASSBOX_HOME: home,
      ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
    };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const child = spawn(process.execPath, ['bin/start.js', '--anthropic-port', '0', '--api-port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collectOutput(child);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const deadline = Date.now() + 20_000;
    while (!stdout.includes('Press Ctrl+C') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const dashboard = /Dashboard\s+(http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(stdout);
    expect(dashboard).not.toBeNull();
    const health = await fetch(`${dashboard![1]}/api/health`, {
      headers: { authorization: `Bearer ${dashboard![2]}` },
    });
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    const { code, stderr } = await output;
    expect(code).toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    // This machine has the electron package without its binary; elsewhere the reason is the missing display.
    expect(lines[0]).toMatch(
      /^glassbox: no desktop window: (Electron's binary is not installed \(ELECTRON_SKIP_BINARY_DOWNLOAD\)|no display \(DISPLAY\/WAYLAND_DISPLAY unset\))\. Running the engine headless\.$/,
    );
    expect(stdout).toContain('Stopped. Live sessions were closed.');
  });
});
