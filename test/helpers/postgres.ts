import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A PostgreSQL server started for a test by {@link startPostgres}. */
export interface PgServer {
  /** Always `127.0.0.1`. */
  host: string;
  port: number;
  /** The superuser, `glassbox`. */
  user: string;
  /** The superuser's random password (hex, so it needs no escaping in URLs or shells). */
  password: string;
  /** `glassbox_test`, owned by `user`. */
  database: string;
  /** `postgres://user:password@127.0.0.1:port/glassbox_test`. */
  superuserUrl: string;
  /** The cluster's data directory; with `ssl: true` it holds the self-signed `server.crt` and `server.key`. */
  dataDir: string;
  /** Where initdb, pg_ctl, postgres, psql and pgbench were found. */
  binDir: string;
  /** Stops the server at once (`pg_ctl stop -m immediate`) and deletes its files. Safe to call twice; never throws. */
  stop(): Promise<void>;
}

/** How clients must authenticate over TCP, and whether the server also offers TLS. */
export interface StartPostgresOptions {
  /** pg_hba.conf method for 127.0.0.1 (default `scram-sha-256`); with `md5` the password is also stored as MD5. */
  auth?: 'scram-sha-256' | 'md5' | 'password' | 'trust';
  /** Enable TLS with a fresh self-signed certificate for 127.0.0.1 (default false). */
  ssl?: boolean;
}

const HOST = '127.0.0.1';
const SUPERUSER = 'glassbox';
const DATABASE = 'glassbox_test';
/** The OS user created to run the server when tests run as root and there is no `postgres` user. */
const FALLBACK_OS_USER = 'glassbox-pg';
const COMMAND_TIMEOUT_MS = 60_000;

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The directory holding the PostgreSQL server programs (initdb, pg_ctl, postgres): `$PG_BINDIR`, else
 * `pg_config --bindir`, else the newest `/usr/lib/postgresql/<version>/bin`.
 * @throws Error saying how to install PostgreSQL when none of these holds an `initdb`.
 */
export function findPostgresBinDir(): string {
  const fromEnv = process.env.PG_BINDIR;
  if (fromEnv) {
    if (existsSync(join(fromEnv, 'initdb'))) return fromEnv;
    throw new Error(`PG_BINDIR=${fromEnv} has no initdb; point it at PostgreSQL's bin directory or unset it`);
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    if (existsSync(join(dir.trim(), 'initdb'))) return dir.trim();
  } catch {
    // No pg_config on PATH: try Debian's layout.
  }
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).filter((v) => /^\d+(\.\d+)?$/.test(v)) : [];
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const version of versions) {
    if (existsSync(join(debian, version, 'bin', 'initdb'))) return join(debian, version, 'bin');
  }
  throw new Error(
    'PostgreSQL server programs (initdb, pg_ctl, postgres) not found. Install them ' +
      '(Debian/Ubuntu: `apt-get install postgresql postgresql-contrib`) or set PG_BINDIR to their directory.',
  );
}

/**
 * Starts a fresh PostgreSQL cluster in a temporary directory, listening only on 127.0.0.1 at a free port, with
 * superuser `glassbox` (random password) and database `glassbox_test`. Takes about a second; prints nothing.
 * As root, the server runs as the `postgres` OS user, else as a system user `glassbox-pg` created on first use.
 * A server the test forgets to stop is killed when the process exits or gets SIGINT, SIGTERM or SIGHUP.
 * @throws Error naming the failed step, with the end of the server log, when the server cannot be started.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PgServer> {
  const auth = options.auth ?? 'scram-sha-256';
  const binDir = findPostgresBinDir();
  const osUser = await serverOsUser();
  const root = mkdtempSync(join(tmpdir(), 'glassbox-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const password = randomBytes(16).toString('hex');
  try {
    const pwFile = join(root, 'pwfile');
    // A pre-hashed MD5 password is stored as given, so `md5` auth really runs the MD5 exchange.
    writeFileSync(pwFile, auth === 'md5' ? md5Verifier(password) : password, { mode: 0o600 });
    if (osUser) chownAll(osUser, root, pwFile);
    await runAs(osUser, root, join(binDir, 'initdb'), [
      ...['-D', dataDir, '-U', SUPERUSER, `--pwfile=${pwFile}`, `--auth=${auth}`],
      ...['-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    ]);
    rmSync(pwFile);
    if (options.ssl) await makeCertificate(dataDir, osUser);
    writeConfig(root, dataDir, auth, options.ssl === true);
    const port = await startServer(osUser, root, binDir, dataDir, logFile);
    const entry: RunningServer = { pid: postmasterPid(dataDir, undefined), root };
    running.add(entry);
    installExitHooks();
    await createDatabase(binDir, port, password);
    return makeHandle(entry, { binDir, dataDir, osUser, port, password });
  } catch (error) {
    const tail = logTail(logFile);
    for (const entry of running) if (entry.root === root) running.delete(entry);
    killNow({ pid: postmasterPid(dataDir, 0), root }); // pg_ctl may have failed after the server started
    throw new Error(
      `Could not start PostgreSQL from ${binDir}: ${error instanceof Error ? error.message : String(error)}` +
        (tail ? `\n--- end of the server log ---\n${tail}` : ''),
    );
  }
}

function makeHandle(
  entry: RunningServer,
  s: { binDir: string; dataDir: string; osUser: OsUser | null; port: number; password: string },
): PgServer {
  let stopped = false;
  return {
    host: HOST,
    port: s.port,
    user: SUPERUSER,
    password: s.password,
    database: DATABASE,
    superuserUrl: `postgres://${SUPERUSER}:${s.password}@${HOST}:${s.port}/${DATABASE}`,
    dataDir: s.dataDir,
    binDir: s.binDir,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      running.delete(entry);
      try {
        await runAs(s.osUser, entry.root, join(s.binDir, 'pg_ctl'), [
          'stop',
          '-D',
          s.dataDir,
          '-m',
          'immediate',
        ]);
      } catch {
        killNow(entry); // Already dead, or pg_ctl failed: make sure, then clean up anyway.
      }
      rmSync(entry.root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** Runs `pg_ctl start` on a free port, trying another port if the chosen one was taken meanwhile. */
async function startServer(
  osUser: OsUser | null,
  root: string,
  binDir: string,
  dataDir: string,
  logFile: string,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      const args = ['start', '-w', '-t', '30', '-D', dataDir, '-l', logFile, '-o', `-p ${port}`];
      await runAs(osUser, root, join(binDir, 'pg_ctl'), args);
      return port;
    } catch (error) {
      if (attempt < 3 && /could not (bind|create any TCP)/i.test(logTail(logFile))) continue;
      throw error;
    }
  }
}

/** Creates `glassbox_test` owned by the superuser, through psql over TCP (this also proves the password works). */
async function createDatabase(binDir: string, port: number, password: string): Promise<void> {
  const url = `postgresql://${SUPERUSER}@${HOST}:${port}/postgres`;
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url];
  const env = { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' };
  const sql = `CREATE DATABASE ${DATABASE} OWNER ${SUPERUSER}`;
  try {
    await execFileAsync(join(binDir, 'psql'), [...args, '-c', sql], { env, timeout: COMMAND_TIMEOUT_MS });
  } catch (error) {
    throw new Error(`creating database ${DATABASE} failed: ${describe(error)}`);
  }
}

function writeConfig(root: string, dataDir: string, auth: string, ssl: boolean): void {
  const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;
  const settings = [
    `listen_addresses = ${quote(HOST)}`,
    `unix_socket_directories = ${quote(root)}`,
    'max_connections = 100',
    'shared_buffers = 16MB',
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    `password_encryption = ${auth === 'md5' ? 'md5' : 'scram-sha-256'}`,
    ...(ssl ? ['ssl = on'] : []),
  ];
  appendFileSync(join(dataDir, 'postgresql.conf'), `\n# glassbox test harness\n${settings.join('\n')}\n`);
  const hba = [...(ssl ? [`hostssl all all ${HOST}/32 ${auth}`] : []), `host all all ${HOST}/32 ${auth}`];
  writeFileSync(join(dataDir, 'pg_hba.conf'), `${hba.join('\n')}\n`);
}

/** Writes a self-signed certificate for 127.0.0.1 and localhost as `server.crt` / `server.key` in `dataDir`. */
async function makeCertificate(dataDir: string, osUser: OsUser | null): Promise<void> {
  const openssl = findExecutable('openssl');
  if (!openssl) throw new Error('openssl not found; install it (Debian/Ubuntu: `apt-get install openssl`)');
  const key = join(dataDir, 'server.key');
  const cert = join(dataDir, 'server.crt');
  const options = '-x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1';
  const args = ['req', ...options.split(' '), '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'];
  try {
    await execFileAsync(openssl, [...args, '-keyout', key, '-out', cert], { timeout: COMMAND_TIMEOUT_MS });
  } catch (error) {
    throw new Error(`openssl req failed: ${describe(error)}`);
  }
  chmodSync(key, 0o600); // PostgreSQL refuses a key that others can read.
  if (osUser) chownAll(osUser, key, cert);
}

/** Runs a PostgreSQL program, as `osUser` when given (initdb and pg_ctl refuse to run as root). */
async function runAs(osUser: OsUser | null, cwd: string, command: string, args: string[]): Promise<void> {
  const [file, argv] = osUser ? asUser(osUser, command, args) : [command, args];
  try {
    await execFileAsync(file, argv, {
      cwd,
      timeout: COMMAND_TIMEOUT_MS,
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (error) {
    throw new Error(`${basename(command)} ${args[0] ?? ''} failed: ${describe(error)}`);
  }
}

/** The command line that runs `command args` as `osUser`: through runuser, else su. */
function asUser(osUser: OsUser, command: string, args: string[]): [string, string[]] {
  const runuser = findExecutable('runuser');
  if (runuser) return [runuser, ['-u', osUser.name, '--', command, ...args]];
  const su = findExecutable('su');
  if (su) return [su, ['-s', '/bin/sh', osUser.name, '-c', [command, ...args].map(shellQuote).join(' ')]];
  throw new Error('running as root needs `runuser` or `su` to start PostgreSQL as an unprivileged user');
}

let osUserPromise: Promise<OsUser | null> | undefined;

/** null when not root; else the `postgres` user, or `glassbox-pg` (created once, idempotently). */
function serverOsUser(): Promise<OsUser | null> {
  osUserPromise ??= (async () => {
    if (process.getuid?.() !== 0) return null;
    const existing = (await lookupUser('postgres')) ?? (await lookupUser(FALLBACK_OS_USER));
    if (existing) return existing;
    const useradd = findExecutable('useradd') ?? 'useradd';
    const args = ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent'];
    // Another test worker may create the same user at the same moment: failure is fine if the user now exists.
    const failure = await execFileAsync(useradd, [
      ...args,
      '--shell',
      '/usr/sbin/nologin',
      FALLBACK_OS_USER,
    ]).then(
      () => undefined,
      (error: unknown) => describe(error),
    );
    const created = await lookupUser(FALLBACK_OS_USER);
    if (created) return created;
    throw new Error(
      `running as root, PostgreSQL needs an unprivileged OS user, and \`useradd ${FALLBACK_OS_USER}\` failed: ` +
        `${failure}. Create a "postgres" user (apt-get install postgresql does) or run the tests as a normal user.`,
    );
  })();
  return osUserPromise;
}

async function lookupUser(name: string): Promise<OsUser | null> {
  try {
    const { stdout } = await execFileAsync('getent', ['passwd', name]);
    const [, , uid, gid] = stdout.trim().split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

// ---- Safety net: never leave a server running when the test process ends. ----

interface RunningServer {
  pid: number;
  root: string;
}

const running = new Set<RunningServer>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  // Vitest ends its fork workers with SIGTERM, which skips 'exit' handlers.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal); // then die as we would have
    });
  }
}

function killAll(): void {
  for (const entry of running) killNow(entry);
  running.clear();
}

/** Immediate shutdown (SIGQUIT to the postmaster), a short synchronous wait, then deletes the files. */
function killNow(entry: RunningServer): void {
  try {
    if (entry.pid > 0) process.kill(entry.pid, 'SIGQUIT');
  } catch {
    // Already gone.
  }
  const pidFile = join(entry.root, 'data', 'postmaster.pid');
  const deadline = Date.now() + 2_000;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (existsSync(pidFile) && Date.now() < deadline) Atomics.wait(cell, 0, 0, 10);
  rmSync(entry.root, { recursive: true, force: true, maxRetries: 3 });
}

// ---- Small utilities. ----

/** The postmaster's pid from `postmaster.pid`; `fallback` when it is missing or unreadable, else throws. */
function postmasterPid(dataDir: string, fallback: number | undefined): number {
  const file = join(dataDir, 'postmaster.pid');
  const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : Number.NaN;
  if (Number.isInteger(pid) && pid > 0) return pid;
  if (fallback !== undefined) return fallback;
  throw new Error(`no readable postmaster.pid in ${dataDir}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** PostgreSQL's stored MD5 form: `md5` + md5(password + username). */
function md5Verifier(password: string): string {
  return `md5${createHash('md5')
    .update(password + SUPERUSER)
    .digest('hex')}`;
}

function chownAll(user: OsUser, ...paths: string[]): void {
  for (const path of paths) chownSync(path, user.uid, user.gid);
}

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  return dirs
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find((path) => existsSync(path));
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function logTail(logFile: string, lines = 25): string {
  if (!existsSync(logFile)) return '';
  return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** The useful part of a failed child process: its stderr (else stdout, else the message). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { stderr, stdout } = error as Error & { stderr?: unknown; stdout?: unknown };
  const output = [stderr, stdout].find((text) => typeof text === 'string' && text.trim() !== '');
  return typeof output === 'string' ? output.trim() : error.message;
}
