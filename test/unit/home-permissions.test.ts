import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeTightened, secureHome } from '../../proxy/home-permissions.js';

const modeOf = (path: string) => lstatSync(path).mode & 0o7777;

describe.skipIf(process.platform === 'win32')('secureHome', () => {
  let parent = '';
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'glassbox-home-check-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('creates a missing data directory 0700 even under a permissive umask', () => {
    const previous = process.umask(0o022);
    try {
      const home = join(parent, 'a', 'b');
      expect(secureHome(home)).toEqual({ tightened: [], problems: [] });
      expect(modeOf(home)).toBe(0o700);
    } finally {
      process.umask(previous);
    }
  });

  it('takes group and other bits off the directory and everything in it, and names what it changed', () => {
    const home = join(parent, 'home');
    mkdirSync(join(home, 'journal'), { recursive: true });
    chmodSync(home, 0o755);
    chmodSync(join(home, 'journal'), 0o775);
    writeFileSync(join(home, 'glassbox.db'), '');
    chmodSync(join(home, 'glassbox.db'), 0o644);
    writeFileSync(join(home, 'journal', '0000000001.log'), '');
    chmodSync(join(home, 'journal', '0000000001.log'), 0o664);
    writeFileSync(join(home, 'token'), '');
    chmodSync(join(home, 'token'), 0o600);
    const check = secureHome(home);
    expect(check.problems).toEqual([]);
    expect(modeOf(home)).toBe(0o700);
    expect(modeOf(join(home, 'journal'))).toBe(0o700);
    expect(modeOf(join(home, 'glassbox.db'))).toBe(0o600);
    expect(modeOf(join(home, 'journal', '0000000001.log'))).toBe(0o600);
    // Already private: untouched, and not reported.
    expect(check.tightened.map((t) => t.path)).not.toContain(join(home, 'token'));
    const line = describeTightened(home, check.tightened);
    expect(line).toContain('glassbox.db 0644 → 0600');
    expect(line).toContain('journal 0775 → 0700');
    expect(describeTightened(home, [])).toBeUndefined();
  });

  it('leaves what a symbolic link points at alone', () => {
    const home = join(parent, 'home');
    mkdirSync(home);
    const outside = join(parent, 'outside.txt');
    writeFileSync(outside, 'not ours');
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(home, 'link'));
    secureHome(home);
    expect(modeOf(outside)).toBe(0o644);
  });

  it('does not change a sticky shared directory given as the data directory, and says why', () => {
    const shared = join(parent, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const check = secureHome(shared);
    expect(modeOf(shared)).toBe(0o1777);
    expect(check.problems.join('\n')).toMatch(/shared directory/);
  });
});
