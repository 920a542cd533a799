/**
 * The embedded cluster's files under the server's data directory:
 *   <dataDir>/pg            the cluster (initdb; owned by the PostgreSQL user when the server is root)
 *   <dataDir>/pg-password   the `glassbox` role's random password (0600, the server's user only)
 *   <dataDir>/server.pid    the pid of the glassbox-server using the cluster (tells an orphan from a live one)
 *   <dataDir>/pg-runtime    a private copy of the programs, only when needed (binaries.ts)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { EmbeddedPostgresError, type PostgresBinaries } from './binaries.js';
import type { RunAs } from './os-user.js';

const execFileAsync = promisify(execFile);

/** The superuser initdb creates; the server connects as it. */
export const EMBEDDED_ROLE = 'glassbox';

/** The paths of {@link clusterPaths}. */
export interface ClusterPaths {
  dataDir: string;
  cluster: string;
  passwordFile: string;
  serverPidFile: string;
  runtimeDir: string;
}

/** Where the embedded database keeps what under `dataDir` (absolute). */
export function clusterPaths(dataDir: string): ClusterPaths {
  return {
    dataDir,
    cluster: join(dataDir, 'pg'),
    passwordFile: join(dataDir, 'pg-password'),
    serverPidFile: join(dataDir, 'server.pid'),
    runtimeDir: join(dataDir, 'pg-runtime'),
  };
}

/**
 * The role's password: read from the 0600 password file, or generated (24 random bytes, base64url) when the
 * cluster does not exist yet.
 * @throws EmbeddedPostgresError when the cluster exists but its password file is gone
 */
export function clusterPassword(paths: ClusterPaths): string {
  if (existsSync(paths.passwordFile)) return readFileSync(paths.passwordFile, 'utf8').trim();
  if (existsSync(join(paths.cluster, 'PG_VERSION')))
    throw new EmbeddedPostgresError(
      `${paths.passwordFile} is missing but the database in ${paths.cluster} exists: restore the file from a backup, ` +
        `or move ${paths.cluster} away to start with an empty database`,
    );
  const password = randomBytes(24).toString('base64url');
  writeFileSync(paths.passwordFile, password, { mode: 0o600 });
  return password;
}

/**
 * Runs initdb once (when `<cluster>/PG_VERSION` is missing): role `glassbox` with `password`,
 * scram-sha-256 for every connection, UTF-8, C locale.
 * @throws EmbeddedPostgresError with initdb's output when it fails
 */
export async function initCluster(
  paths: ClusterPaths,
  binaries: PostgresBinaries,
  password: string,
  runAs: RunAs | undefined,
): Promise<boolean> {
  if (existsSync(join(paths.cluster, 'PG_VERSION'))) return false;
  mkdirSync(paths.cluster, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(paths.cluster, runAs.uid, runAs.gid);
  // initdb reads the password from a file the PostgreSQL user can read; it lives only while initdb runs.
  const pwfile = join(paths.dataDir, `.initdb-password-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  try {
    await execFileAsync(
      binaries.initdb,
      [
        ...['-D', paths.cluster, '-U', EMBEDDED_ROLE, '--auth=scram-sha-256', `--pwfile=${pwfile}`],
        ...['-E', 'UTF8', '--locale=C', '--no-instructions'],
      ],
      {
        ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
        cwd: paths.dataDir,
        env: { ...process.env, LC_ALL: 'C' },
        timeout: 120_000,
      },
    );
  } catch (error) {
    const output = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new EmbeddedPostgresError(`initdb failed in ${paths.cluster}: ${output}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
  return true;
}

/**
 * Claims the cluster for this process. A postmaster still running on it (postmaster.pid) whose server is gone
 * (server.pid names a dead process: it was SIGKILLed, and its postgres outlived it) is stopped: SIGINT (fast
 * shutdown), then SIGQUIT (immediate) after 15 s.
 * @returns the pid of the orphan stopped, if any
 * @throws EmbeddedPostgresError when another live glassbox-server uses the directory, or the orphan survives
 */
export async function claimCluster(
  paths: ClusterPaths,
  log: (line: string) => void,
): Promise<number | undefined> {
  const owner = readPid(paths.serverPidFile);
  if (owner !== undefined && owner !== process.pid && alive(owner) && isNode(owner))
    throw new EmbeddedPostgresError(
      `another glassbox-server (pid ${owner}) uses ${paths.dataDir}: stop it, or give this one another --data-dir ` +
        '(two instances side by side share one DATABASE_URL, not one embedded database)',
    );
  writeFileSync(paths.serverPidFile, `${process.pid}\n`);
  const postmaster = readPid(join(paths.cluster, 'postmaster.pid'));
  if (postmaster === undefined || !alive(postmaster) || !isPostgres(postmaster)) return undefined;
  log(`stopping the PostgreSQL left running by a server that was killed (pid ${postmaster})`);
  process.kill(postmaster, 'SIGINT');
  if (!(await exited(postmaster, 15_000))) {
    process.kill(postmaster, 'SIGQUIT');
    if (!(await exited(postmaster, 15_000)))
      throw new EmbeddedPostgresError(
        `the PostgreSQL left running on ${paths.cluster} (pid ${postmaster}) does not stop: kill it, then start again`,
      );
  }
  return postmaster;
}

/** Releases the claim of {@link claimCluster} (when it is still this process's). */
export function releaseCluster(paths: ClusterPaths): void {
  if (readPid(paths.serverPidFile) === process.pid) rmSync(paths.serverPidFile, { force: true });
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` exists (EPERM: it exists but belongs to another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves true once `pid` is gone, false after `timeoutMs`. */
export async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50))
    if (!alive(pid)) return true;
  return !alive(pid);
}

/** Whether `pid` runs `name` (Linux: /proc/<pid>/cmdline); true where that cannot be told. */
function runs(pid: number, name: RegExp): boolean {
  try {
    return name.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
}

/** A reused pid (after a reboot) is not our postmaster: PostgreSQL itself then ignores the stale file. */
const isPostgres = (pid: number) => runs(pid, /postgres/);
const isNode = (pid: number) => runs(pid, /node|glassbox/);
