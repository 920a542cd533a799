import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FileWatch, watchFiles } from '../../proxy/common/file-watch.js';
import { waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';

describe('watching files in a directory', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  function start(dir: string, names: string[], onFallback?: (error: unknown) => void) {
    let calls = 0;
    const watch: FileWatch = watchFiles(
      dir,
      names.map((name) => join(dir, name)),
      () => calls++,
      { settleMs: 50, ...(onFallback ? { onFallback } : {}) },
    );
    cleanups.push(() => watch.close());
    return { watch, calls: () => calls };
  }

  it('sees a file created, replaced by rename and deleted, and ignores other files', async () => {
    const dir = tempHome();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { calls } = start(dir, ['policy.json']);
    writeFileSync(join(dir, 'policy.json'), '{}');
    await waitFor(() => calls() === 1, 10_000, 'the creation');
    writeFileSync(join(dir, 'policy.json.tmp'), '{"a":1}');
    renameSync(join(dir, 'policy.json.tmp'), join(dir, 'policy.json'));
    await waitFor(() => calls() === 2, 10_000, 'the replacement');
    rmSync(join(dir, 'policy.json'));
    await waitFor(() => calls() === 3, 10_000, 'the deletion');
    writeFileSync(join(dir, 'other.json'), '{}');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls()).toBe(3);
  });

  it('calls nothing once closed', async () => {
    const dir = tempHome();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { watch, calls } = start(dir, ['policy.json']);
    writeFileSync(join(dir, 'policy.json'), '{}');
    watch.close();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls()).toBe(0);
  });

  it('polls the files when the directory cannot be watched, and says why', async () => {
    const dir = join(tempHome(), 'not-yet');
    cleanups.push(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
    const reasons: unknown[] = [];
    const { calls } = start(dir, ['policy.json'], (error) => reasons.push(error));
    expect(String(reasons[0])).toMatch(/ENOENT/);
    // Node tells a poller once that the file is missing; the creation is what this waits for.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = calls();
    mkdirSync(dir);
    writeFileSync(join(dir, 'policy.json'), '{}');
    await waitFor(() => calls() > before, 15_000, 'the poll');
  });
});
