import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db } from 'better-sqlite3';
import { createPrivateFile } from '../home-permissions.js';
import { migrate } from './migrations.js';

/**
 * Opens (creating if needed) the SQLite database at `path` (`:memory:` for tests) as the store uses it: WAL,
 * `synchronous = NORMAL`, foreign keys on, waiting up to `busyTimeoutMs` for a lock another process holds;
 * then migrates it. A new file is created 0600 before SQLite opens it, so its WAL and shared-memory files are
 * private too (SQLite gives them the database's mode).
 *
 * `GLASSBOX_SQLITE_BINDING`, when set, is the path of a better-sqlite3 `.node` file to load instead of the
 * one under node_modules: the desktop app sets it to the copy built for Electron's ABI (see main/README.md).
 * @throws Error when the file is not a SQLite database or was written by a newer schema.
 */
export function openDatabase(path: string, busyTimeoutMs: number): Db {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    createPrivateFile(path);
  }
  const nativeBinding = process.env.GLASSBOX_SQLITE_BINDING;
  const db = new Database(path, nativeBinding ? { nativeBinding } : {});
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  migrate(db);
  return db;
}
