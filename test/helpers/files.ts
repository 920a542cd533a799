import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** Every file under `dir`, recursively (for grepping a data directory for secrets). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Where a test's store lives: its data directory, SQLite file and journal directory. */
export interface StoreHome {
  home: string;
  db: string;
  journalDir: string;
}

/**
 * A fresh data directory for each test of the calling `describe` (removed after it); call the returned
 * function inside a test for its paths.
 */
export function useStoreHome(prefix: string): () => StoreHome {
  let home = '';
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  return () => ({ home, db: join(home, 'glassbox.db'), journalDir: join(home, 'journal') });
}
