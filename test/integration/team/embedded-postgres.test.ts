/**
 * `glassbox-server` without DATABASE_URL, as its real bin: it starts the embedded PostgreSQL under
 * `--data-dir`, stores a mirrored chain, stops that PostgreSQL on SIGTERM, finds its data again on restart,
 * and after being SIGKILLed (its postgres outlives it) stops the orphan at the next start. The launcher itself
 * copes with programs whose library links were never made (npm --ignore-scripts) and, as root, with programs
 * the PostgreSQL user cannot reach (npx's cache in a 0700 home).
 */

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformPackage } from '../../../server/db/embedded/binaries.js';
import { postgresRunAs } from '../../../server/db/embedded/os-user.js';
import { startEmbeddedPostgres } from '../../../server/db/embedded-postgres.js';
import { startOidcProvider, type TestOidcProvider } from '../../helpers/oidc-provider.js';
import { batch, chain, getHead, postBatch, sessionId } from '../../helpers/team-chain.js';
import { accessTokenFor, spawnTeamServer, TEAM_AUDIENCE } from '../../helpers/team-server.js';

let provider: TestOidcProvider;
let alice: string;
const scratch = mkdtempSync(join(tmpdir(), 'glassbox-embedded-'));
chmodSync(scratch, 0o755); // as root, PostgreSQL runs as another user, who must pass through

beforeAll(async () => {
  provider = await startOidcProvider({
    apiResource: { indicator: TEAM_AUDIENCE },
    ttl: { AccessToken: 600 },
  });
  alice = await accessTokenFor(provider, 'alice');
}, 120_000);
afterAll(async () => {
  await provider?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};
const postmasterPid = (dataDir: string) =>
  Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && alive(pid); i++) await sleep(50);
  return !alive(pid);
}

describe('the embedded PostgreSQL (no DATABASE_URL)', () => {
  it('starts, stores, stops with the server, keeps the data, and recovers the postgres a killed server left', async () => {
    const dataDir = join(scratch, 'nested', 'server-data');
    const start = () => spawnTeamServer({ issuer: provider.issuer, args: ['--data-dir', dataDir] });
    const id = sessionId('embedded');
    const events = chain(id, 8);

    const first = await start();
    expect(
      first
        .logs()
        .some((l) => l.msg === 'using the embedded PostgreSQL (set DATABASE_URL for the team database)'),
    ).toBe(true);
    expect(statSync(join(dataDir, 'pg-password')).mode & 0o777).toBe(0o600);
    expect((await postBatch(first.url, id, batch(events.slice(0, 5)), alice)).status).toBe(200);
    const pid1 = postmasterPid(dataDir);
    expect(alive(pid1)).toBe(true);
    expect(await first.stop()).toBe(0);
    expect(await gone(pid1)).toBe(true);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const second = await start();
    expect((await getHead(second.url, id, alice)).body).toEqual({ seq: 5, hash: events[4]!.hash });
    const pid2 = postmasterPid(dataDir);
    second.child.kill('SIGKILL');
    await second.exited;
    await sleep(500);
    expect(alive(pid2)).toBe(true); // the orphan: postgres outlives the killed server

    const third = await start();
    expect(
      third
        .logs()
        .some((l) => String(l.msg).includes(`left running by a server that was killed (pid ${pid2})`)),
    ).toBe(true);
    expect(alive(pid2)).toBe(false);
    expect((await getHead(third.url, id, alice)).body).toEqual({ seq: 5, hash: events[4]!.hash });
    expect((await postBatch(third.url, id, batch(events.slice(5)), alice)).body.head).toEqual({
      seq: 8,
      hash: events[7]!.hash,
    });

    // A second server on the same data directory is refused (the first's database is not touched).
    const intruder = await spawnTeamServer({ issuer: provider.issuer, args: ['--data-dir', dataDir] }).then(
      (server) => server,
      (error: Error) => error,
    );
    expect(intruder).toBeInstanceOf(Error);
    expect((intruder as Error).message).toMatch(/another glassbox-server \(pid \d+\) uses/);
    expect((await getHead(third.url, id, alice)).status).toBe(200);
    const pid3 = postmasterPid(dataDir);
    expect(await third.stop()).toBe(0);
    expect(await gone(pid3)).toBe(true);
  }, 240_000);

  it('recreates missing library links and, as root, runs a copy when the PostgreSQL user cannot reach the programs', async () => {
    const { postgres } = (await import(platformPackage())) as { postgres: string };
    const installed = resolve(dirname(postgres), '..', '..');
    // A package installed with --ignore-scripts: no library symlinks, in a private (0700) directory.
    const home = join(scratch, 'private-home');
    mkdirSync(home, { mode: 0o700 });
    const packageDir = join(home, 'pkg');
    cpSync(installed, packageDir, { recursive: true, verbatimSymlinks: true });
    const libDir = join(packageDir, 'native', 'lib');
    for (const name of readdirSync(libDir))
      if (lstatSync(join(libDir, name)).isSymbolicLink()) rmSync(join(libDir, name));
    expect(existsSync(join(libDir, 'libicuuc.so.60'))).toBe(false);

    if (process.getuid?.() === 0)
      await expect(
        startEmbeddedPostgres({ dataDir: join(home, 'data'), nativeDir: join(packageDir, 'native') }),
      ).rejects.toThrow(
        /the "postgres" user, which cannot enter .*private-home: choose a --data-dir outside it/,
      );
    const dataDir = join(scratch, 'copy-data');
    const notices: string[] = [];
    const db = await startEmbeddedPostgres({
      dataDir,
      nativeDir: join(packageDir, 'native'),
      notice: (m) => notices.push(m),
    });
    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const row = (
        await client.query<{ user: string; version: string }>('SELECT current_user AS user, version()')
      ).rows[0]!;
      await client.end();
      expect(row.user).toBe('glassbox');
      expect(row.version).toMatch(/^PostgreSQL 18/);
      expect(lstatSync(join(libDir, 'libicuuc.so.60')).isSymbolicLink()).toBe(true);
      if (process.getuid?.() === 0) {
        expect(notices.join('\n')).toMatch(/cannot enter .*private-home: using a copy of PostgreSQL/);
        expect(readFileSync(`/proc/${db.pid}/cmdline`, 'utf8')).toContain(join(dataDir, 'pg-runtime'));
      }
    } finally {
      await db.stop();
    }
    expect(alive(db.pid)).toBe(false);
  }, 240_000);

  it.runIf(process.getuid?.() === 0)(
    'as root, creates the system user PostgreSQL runs as when it is missing',
    () => {
      const name = `gb-ept-${process.pid}`;
      const exists = () => spawnSync('id', ['-u', name]).status === 0;
      expect(exists()).toBe(false);
      try {
        const user = postgresRunAs(name);
        expect(exists()).toBe(true);
        expect(user).toEqual({ name, uid: expect.any(Number), gid: expect.any(Number) });
        expect(user!.uid).toBeGreaterThan(0);
        expect(postgresRunAs(name)).toEqual(user); // found, not created twice
      } finally {
        spawnSync('userdel', [name]);
      }
    },
  );
});
