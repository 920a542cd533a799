/**
 * PostgreSQL refuses to run as root ("root" execution of the PostgreSQL server is not permitted). A server
 * started as root (a container, `sudo npx glassbox-server`) runs initdb and postgres as the `postgres` system
 * user instead, creating it when missing, and makes sure that user can reach the programs and the cluster.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EmbeddedPostgresError } from './binaries.js';

/** The OS user PostgreSQL runs as when the server is root. */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** The user name PostgreSQL runs as under root. */
export const POSTGRES_OS_USER = 'postgres';

/**
 * undefined when this process is not root (PostgreSQL then runs as this process's user); else the
 * `name` user, created as a system user (no home, no login shell) when it does not exist.
 * @throws EmbeddedPostgresError when the user does not exist and cannot be created
 */
export function postgresRunAs(name = POSTGRES_OS_USER): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const existing = lookup(name);
  if (existing) return existing;
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent'].concat([
        '--shell',
        '/usr/sbin/nologin',
        name,
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    // Another process may have created it meanwhile.
    const created = lookup(name);
    if (created) return created;
    const detail = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    throw new EmbeddedPostgresError(
      `running as root, the embedded PostgreSQL must run as an unprivileged user, and creating the system user "${name}" failed (${detail}): ` +
        `create it (useradd --system ${name}), run glassbox-server as a normal user, or set DATABASE_URL`,
    );
  }
  const created = lookup(name);
  if (!created) throw new EmbeddedPostgresError(`useradd ${name} succeeded but the user cannot be found`);
  return created;
}

function lookup(name: string): RunAs | undefined {
  try {
    const id = (flag: string) =>
      Number(
        execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
      );
    return { name, uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/**
 * The first directory above `path` that "others" cannot pass (no o+x), or undefined when there is none. The
 * PostgreSQL user is neither the owner (root) nor in root's group, so that bit is what lets it reach `path`.
 */
export function firstClosedParent(path: string): string | undefined {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return dir;
    if (dir === dirname(dir)) return undefined;
  }
}
