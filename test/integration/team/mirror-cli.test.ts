/**
 * The mirror in a real `glassbox serve` process and `glassbox team status` reading it: not configured, up to
 * date, waiting on a server that is down (exit 0 each time), the status read from the database while no engine
 * runs, and an engine SIGKILLed mid-mirror that resumes from the server when started again, losing and
 * duplicating nothing.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MirrorStatus } from '../../../proxy/sync/types.js';
import { runCli, runCliAsync, type ServeProcess, spawnServe } from '../../helpers/cli.js';
import { tempHome } from '../../helpers/engine.js';
import { testIdentitySettings } from '../../helpers/identity-signin.js';
import {
  type MirrorHome,
  type MirrorRig,
  serverHeads,
  startMirrorRig,
  until,
} from '../../helpers/mirror-rig.js';
import { TEAM_AUDIENCE } from '../../helpers/team-server.js';

let rig: MirrorRig;
let home: MirrorHome;
let serve: ServeProcess | undefined;

beforeAll(async () => {
  rig = await startMirrorRig();
  await rig.startServer();
  home = await rig.home('alice');
  // What `glassbox team join` writes, beside the sign-in settings.
  const path = join(home.home, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  config.identity = testIdentitySettings(rig.provider, { audience: TEAM_AUDIENCE });
  config.team = { url: `http://127.0.0.1:${rig.port}`, token: 'access_token', mirror: true };
  writeFileSync(path, JSON.stringify(config, null, 2));
}, 180_000);
afterAll(async () => {
  serve?.child.kill('SIGKILL');
  await rig?.stop();
}, 60_000);

async function statements(app: string, count: number): Promise<void> {
  const url = new URL(home.pgUrl);
  url.searchParams.set('application_name', app);
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  for (let i = 0; i < count; i++) await client.query('SELECT $1::int AS n, md5($1::text) AS word', [i]);
  await client.end();
}

async function status(): Promise<MirrorStatus> {
  const run = await runCliAsync(home.home, ['team', 'status', '--json']);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as MirrorStatus;
}

/** Local heads read from the engine's SQLite (the engine runs in another process). */
function localHeads(): Map<string, number> {
  const db = new Database(join(home.home, 'glassbox.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT id, head_seq FROM sessions WHERE head_seq > 0').all() as Array<{
      id: string;
      head_seq: number;
    }>;
    return new Map(rows.map((row) => [row.id, row.head_seq]));
  } finally {
    db.close();
  }
}

async function arrived(ids: readonly string[]): Promise<number> {
  const remote = await serverHeads(rig);
  return ids.reduce((sum, id) => sum + (remote.get(id)?.events ?? 0), 0);
}

async function kill(): Promise<void> {
  serve!.child.kill('SIGKILL');
  await serve!.exited;
  serve = undefined;
}

describe('glassbox team status and a real engine process', () => {
  it('says "not configured" (exit 0) when config.json has no team section', () => {
    const bare = tempHome('glassbox-team-bare-');
    try {
      const text = runCli(bare, ['team', 'status']);
      expect(text.status).toBe(0);
      expect(text.stdout).toBe('not configured: run `glassbox team join URL`\n');
      const json = runCli(bare, ['team', 'status', '--json']);
      expect(json.status).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ configured: false, state: 'off', sessions: [] });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('shows up-to-date, then each session waiting with its error while the server is down', async () => {
    serve = await spawnServe(home.home, rig.mock.url);
    await statements('cli-1', 20);
    await until('team status says up-to-date', async () => (await status()).state === 'up-to-date', 90_000);
    const text = await runCliAsync(home.home, ['team', 'status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Team server: http://127.0.0.1:${rig.port}`);
    expect(text.stdout).toContain('Mirror: up-to-date');
    expect(text.stdout).toContain('Every session is mirrored.');

    await rig.server!.stop();
    await statements('cli-2', 5);
    // Waiting lasts until the retry is due: the status that showed it is the one examined.
    let offline: MirrorStatus | undefined;
    await until('team status says offline with a waiting session', async () => {
      const now = await status();
      if (now.state === 'offline' && now.sessions.some((s) => s.state === 'waiting')) offline = now;
      return offline !== undefined;
    });
    const waiting = offline!.sessions.find((s) => s.state === 'waiting')!;
    expect(waiting.last_error).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(waiting.behind).toBe(waiting.head_seq - waiting.acked_seq);
    const lines = await runCliAsync(home.home, ['team', 'status']);
    expect(lines.code).toBe(0);
    expect(lines.stdout).toContain('Mirror: offline');
    // (waiting again, or behind in the moment its retry is due)
    expect(lines.stdout).toMatch(
      new RegExp(`${waiting.session_id}\\s+(waiting|behind)\\s+${waiting.acked_seq}/${waiting.head_seq}`),
    );
  }, 240_000);

  it('resumes from the server after the engine is SIGKILLed mid-mirror, exactly once', async () => {
    await Promise.all([0, 1, 2].map((n) => statements(`backlog-${n}`, 1_500)));
    await kill();
    // No engine: the status comes from the database, and says nothing is being sent.
    const stopped = await runCliAsync(home.home, ['team', 'status']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('the engine is not running: nothing is being sent');
    expect(stopped.stdout).toMatch(/sessions behind by/);
    const ids = [...localHeads().keys()];
    await rig.startServer();
    serve = await spawnServe(home.home, rig.mock.url);
    await until('the server holds part of the backlog', async () => (await arrived(ids)) > 0);
    await kill();
    const partial = await arrived(ids);
    serve = await spawnServe(home.home, rig.mock.url);
    await until('team status says up-to-date', async () => (await status()).state === 'up-to-date', 180_000);
    const heads = localHeads();
    const remote = await serverHeads(rig);
    for (const [id, head] of heads) expect(remote.get(id)).toEqual({ head, events: head });
    // The kill came mid-mirror: the server had only part of what it holds now.
    expect(partial).toBeLessThan(ids.reduce((sum, id) => sum + heads.get(id)!, 0));
  }, 300_000);
});
