import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  type Stats,
  statSync,
} from 'node:fs';
import { join, relative } from 'node:path';

/** A path whose permissions were tightened: its mode bits before and after (e.g. 0o644 → 0o600). */
export interface TightenedPath {
  path: string;
  was: number;
  now: number;
}

/** What {@link secureHome} did: the paths it tightened, and what it could not tighten and why. */
export interface HomeCheck {
  tightened: TightenedPath[];
  problems: string[];
}

/** Most entries looked at under the data directory (it holds a handful; this bounds a wrongly chosen one). */
const MAX_ENTRIES = 10_000;
/** Group and other permission bits. */
const SHARED = 0o077;

/**
 * Makes the process create private files from now on: a file-mode creation mask of 077, so whatever the
 * engine or SQLite creates (database, WAL, shared memory, journal, token, vault, config) is readable by its
 * owner only, whatever mask the shell had. A no-op on Windows and in worker threads (which cannot set it).
 */
export function privateUmask(): void {
  if (process.platform === 'win32') return;
  try {
    process.umask(0o077);
  } catch {
    // Worker threads cannot change the process's mask; the files' explicit modes still apply.
  }
}

/**
 * Creates the data directory `home` (mode 0700) if needed and tightens what already exists: the directory
 * becomes 0700 and every file and directory in it loses its group and other bits (a 0644 file becomes 0600,
 * a 0755 directory 0700), so another local user cannot read recordings, the token or the vault. Symbolic
 * links are left alone and not followed. A directory this user does not own, or a sticky one (such as /tmp
 * given as GLASSBOX_HOME), is not changed: that is reported as a problem instead. Does nothing on Windows,
 * where modes do not protect files.
 * @throws Error (EACCES, ENOTDIR, …) when `home` cannot be created
 */
export function secureHome(home: string): HomeCheck {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const check: HomeCheck = { tightened: [], problems: [] };
  if (process.platform === 'win32') return check;
  const stats = statSync(home);
  const uid = process.getuid?.();
  if ((stats.mode & SHARED) !== 0) {
    if (uid !== undefined && stats.uid !== uid) {
      check.problems.push(
        `${home} belongs to another user (uid ${stats.uid}) and is open to others (mode ${octal(stats.mode)})`,
      );
    } else if ((stats.mode & 0o1000) !== 0) {
      check.problems.push(
        `${home} is a shared directory (mode ${octal(stats.mode)}); choose a directory of your own`,
      );
    } else tighten(home, stats, check);
  }
  let budget = MAX_ENTRIES;
  const visit = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      check.problems.push(`could not list ${dir}: ${(error as Error).message}`);
      return;
    }
    for (const name of names) {
      if (--budget < 0) return;
      const path = join(dir, name);
      let entry: Stats;
      try {
        entry = lstatSync(path);
      } catch {
        continue; // gone meanwhile
      }
      if (entry.isSymbolicLink()) continue;
      if ((entry.mode & SHARED) !== 0) tighten(path, entry, check);
      if (entry.isDirectory()) visit(path);
    }
  };
  visit(home);
  return check;
}

/**
 * One line saying what {@link secureHome} changed, naming paths relative to `home` (at most five, then a
 * count), or undefined when nothing changed.
 */
export function describeTightened(home: string, tightened: readonly TightenedPath[]): string | undefined {
  if (tightened.length === 0) return undefined;
  const named = tightened
    .slice(0, 5)
    .map(({ path, was, now }) => `${relative(home, path) || home} ${octal(was)} → ${octal(now)}`);
  const more = tightened.length > 5 ? `, and ${tightened.length - 5} more` : '';
  return `tightened permissions in ${home}, which other local users could read: ${named.join(', ')}${more}`;
}

function tighten(path: string, stats: Stats, check: HomeCheck): void {
  const was = stats.mode & 0o7777;
  const now = was & ~SHARED;
  try {
    chmodSync(path, now);
    check.tightened.push({ path, was, now });
  } catch (error) {
    check.problems.push(`could not make ${path} private (mode ${octal(was)}): ${(error as Error).message}`);
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/**
 * Creates an empty file at `path` readable by its owner only (0600, whatever the umask), unless it exists.
 * For the database: SQLite takes an empty file as a new database and gives its WAL and shared-memory files
 * the database file's mode.
 * @throws Error (EACCES, ENOSPC, …) when it cannot be created
 */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
