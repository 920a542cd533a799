import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The connection a password is looked up for; `port` as text, as libpq compares it. */
export interface PasswordFileKey {
  host: string;
  port: string;
  database: string;
  user: string;
}

/** A password found in a password file, and the file it came from. */
export interface PasswordFileHit {
  password: string;
  file: string;
}

/**
 * The password file libpq reads: `PGPASSFILE`, else `%APPDATA%\postgresql\pgpass.conf` on Windows, else
 * `~/.pgpass` (`$HOME`, else the account's home directory) (PostgreSQL docs, 34.16 "The Password File").
 */
export function passwordFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGPASSFILE) return env.PGPASSFILE;
  if (process.platform === 'win32') return join(env.APPDATA ?? homedir(), 'postgresql', 'pgpass.conf');
  return join(env.HOME || homedir(), '.pgpass');
}

/**
 * Looks a password up as libpq does (PostgreSQL docs, 34.16 "The Password File"; libpq's passwordFromFile
 * in fe-connect.c): lines `hostname:port:database:username:password`, the first line whose first four fields
 * match wins, `*` alone matches anything, `\` escapes `:` and `\`, lines starting with `#` are comments.
 * A file that is missing or unreadable is ignored; on Unix a file that is not a plain file, or that its
 * group or others may access (mode & 0077), is ignored with `warn` saying so, as libpq does.
 * @returns the password, or undefined when no line matches
 */
export function passwordFromFile(
  file: string,
  key: PasswordFileKey,
  warn: (message: string) => void = () => undefined,
): PasswordFileHit | undefined {
  if (!key.database || !key.user) return undefined;
  let text: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const stat = fstatSync(fd);
      if (process.platform !== 'win32') {
        if (!stat.isFile()) {
          warn(`WARNING: password file "${file}" is not a plain file`);
          return undefined;
        }
        if ((stat.mode & 0o077) !== 0) {
          warn(
            `WARNING: password file "${file}" has group or world access; permissions should be u=rw (0600) or less`,
          );
          return undefined;
        }
      }
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const host = key.host || 'localhost';
  const port = key.port || '5432';
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#')) continue;
    const line = raw.replace(/[\r\n]+$/, '');
    if (line.length === 0) continue;
    let rest: string | undefined = line;
    for (const token of [host, port, key.database, key.user]) {
      rest = matchField(rest, token);
      if (rest === undefined) break;
    }
    if (rest !== undefined) return { password: unescapePassword(rest), file };
  }
  return undefined;
}

/** libpq's pwdfMatchesString: the rest of the line after a field equal to `token` (or `*`), else undefined. */
function matchField(line: string, token: string): string | undefined {
  if (line.startsWith('*:')) return line.slice(2);
  let i = 0;
  let t = 0;
  while (i < line.length) {
    let escaped = false;
    if (line[i] === '\\') {
      i++;
      escaped = true;
    }
    if (line[i] === ':' && t === token.length && !escaped) return line.slice(i + 1);
    if (t === token.length || i >= line.length || line[i] !== token[t]) return undefined;
    i++;
    t++;
  }
  return undefined;
}

/** The password field: up to an unescaped `:`, with `\x` read as `x`. */
function unescapePassword(field: string): string {
  let out = '';
  for (let i = 0; i < field.length && field[i] !== ':'; i++) {
    if (field[i] === '\\' && i + 1 < field.length) i++;
    out += field[i];
  }
  return out;
}
