import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnServe, waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { filesUnder } from '../helpers/files.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

/** Runs `command` as the unprivileged user `nobody` (runuser, as root does in CI). */
function asNobody(command: string[]): { status: number | null; stderr: string } | undefined {
  const result = spawnSync('runuser', ['-u', 'nobody', '--', ...command], { encoding: 'utf8' });
  if (result.error) return undefined;
  return { status: result.status, stderr: result.stderr };
}

const canSwitchUser = process.getuid?.() === 0 && asNobody(['true'])?.status === 0;

/** Permission bits of a path (no file type). */
function mode(path: string): number {
  return lstatSync(path).mode & 0o7777;
}

const octal = (value: number) => `0${value.toString(8)}`;

describe('recordings are private to their owner (point 11)', () => {
  let mock: MockAnthropic;
  let parent: string;
  let home: string;
  let serveErrors = '';

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    // A data directory another user can reach, left as an older Glassbox or a careless umask would leave it:
    // the directory 0755, config and vault 0644.
    parent = tempHome('glassbox-perm-');
    chmodSync(parent, 0o755);
    home = join(parent, 'home');
    mkdirSync(home, { mode: 0o755 });
    chmodSync(home, 0o755);
    const added = runCli(home, [
      'pg',
      'add',
      'shop',
      '--upstream',
      'postgres://app:secret@127.0.0.1:5999/shop',
      '--listen',
      '0',
      // No server listens there: this test is about files, not the login check.
      '--no-check',
    ]);
    expect(added.status, added.stderr).toBe(0);
    chmodSync(join(home, 'config.json'), 0o644);
    chmodSync(join(home, 'vault.json'), 0o644);
    writeFileSync(join(home, 'policy.json'), '{}\n', { mode: 0o644 });
    chmodSync(join(home, 'policy.json'), 0o644);

    // The engine runs with a permissive umask, as a login shell usually has.
    const serve = await spawnServe(home, mock.url, [], { umask: 0o022 });
    try {
      const client = new Anthropic({ baseURL: serve.anthropicUrl, apiKey: 'sk-ant-test', maxRetries: 0 });
      await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'a private prompt' }],
      });
      // Wait until SQLite holds the prompt (the WAL exists and has the exchange).
      await waitFor(() => existsSync(join(home, 'glassbox.db-wal')), 10_000, 'the WAL file');
      checkWhileRunning(home);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
      serveErrors = serve.errors();
    }
  });

  let runningModes: Array<{ path: string; mode: number }> = [];
  function checkWhileRunning(dir: string) {
    runningModes = [dir, ...walk(dir)].map((path) => ({ path, mode: mode(path) }));
  }

  afterAll(async () => {
    await mock.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  it('tightens the data directory and every file in it, and says so', () => {
    const byName = new Map(runningModes.map((entry) => [relative(home, entry.path) || '.', entry.mode]));
    // What must exist while the engine runs: the database with its WAL and shared memory, the journal, the
    // token, the vault, the config, the policy and the engine's runtime (lock) file.
    for (const name of [
      'glassbox.db',
      'glassbox.db-wal',
      'glassbox.db-shm',
      'token',
      'vault.json',
      'config.json',
      'policy.json',
      'engine.pid',
    ]) {
      expect(byName.has(name), `${name} exists while the engine runs`).toBe(true);
    }
    expect([...byName.keys()].some((name) => name.startsWith('journal/'))).toBe(true);
    for (const [name, bits] of byName) {
      const isDir = name === '.' || name === 'journal';
      expect(octal(bits), `${name}`).toBe(isDir ? '0700' : '0600');
    }
    expect(serveErrors).toMatch(/tightened/i);
    expect(serveErrors).toContain('config.json');
  });

  it.skipIf(!canSwitchUser)(
    'another local user (nobody, through runuser: needs root) can read none of it',
    () => {
      // Every path checked, with the parent directory open to everyone: only the data directory's own mode
      // stands between user nobody and the files.
      for (const path of [home, ...walk(home)]) {
        const result = asNobody(statSync(path).isDirectory() ? ['ls', path] : ['cat', path]);
        expect(result?.status, `nobody reading ${path}`).not.toBe(0);
        expect(result?.stderr).toMatch(/Permission denied/);
      }
      // And with the directory opened again by hand, the files themselves still refuse.
      chmodSync(home, 0o755);
      try {
        for (const file of filesUnder(home)) {
          const result = asNobody(['cat', file]);
          expect(result?.status, `nobody reading ${file}`).not.toBe(0);
        }
      } finally {
        chmodSync(home, 0o700);
      }
    },
  );
});

/** Every path under `dir` (directories too), recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return lstatSync(path).isDirectory() ? [path, ...walk(path)] : [path];
  });
}
