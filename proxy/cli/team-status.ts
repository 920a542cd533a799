/**
 * `glassbox team status [--json]`: how the team mirror stands — the server, the overall state, and every
 * session not fully mirrored with its lag and last error (proxy/sync/types.ts MirrorStatus). Asks the running
 * engine (GET /api/team); with no engine running it reads the database itself and says that nothing is being
 * sent. Exit 0 whatever the state: it reports, it does not judge.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { glassboxHome, homePaths, loadConfig } from '../config.js';
import { runningEngine } from '../lock.js';
import { teamBaseUrl } from '../sync/settings.js';
import { SyncState } from '../sync/state.js';
import { mirrorStatus } from '../sync/status.js';
import type { MirrorStatus } from '../sync/types.js';
import { connectToEngine } from './engine-client.js';
import { count, timestamp } from './format.js';

/** The line printed when config.json has no `team` section. */
export const NOT_CONFIGURED = 'not configured: run `glassbox team join URL`';

/** Adds `team status` to the `team` command (`glassbox team join` lives beside it). */
export function addTeamStatusCommand(team: Command): void {
  team
    .command('status')
    .description(
      'show the team mirror: the server, its state, and each session not yet mirrored (lag, errors)',
    )
    .option('--json', 'print the status as JSON (the shape of GET /api/team)')
    .action(async (options: { json?: boolean }) => {
      const { status, note } = await teamStatus(glassboxHome());
      if (options.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else process.stdout.write(teamStatusText(status, note));
    });
}

/**
 * The status from the running engine, or from the database when none runs (`note` says so).
 * @throws UserError when config.json cannot be read, or the engine runs but does not answer
 */
export async function teamStatus(home: string): Promise<{ status: MirrorStatus; note: string | null }> {
  const team = loadConfig(home).team;
  const offline = (note: string | null): { status: MirrorStatus; note: string | null } => {
    const path = homePaths(home).database;
    const facts = {
      configured: team !== undefined,
      url: team ? teamBaseUrl(team) : null,
      enabled: team?.mirror === true,
      signedOut: false,
      offline: false,
      sending: false,
      lastSuccessAt: null,
      lastError: null,
    };
    if (!team || !existsSync(path)) return { status: mirrorStatus(facts, [], Date.now()), note };
    const state = SyncState.open(path);
    try {
      return { status: mirrorStatus(facts, state.pending(), Date.now()), note };
    } finally {
      state.close();
    }
  };
  if (!team) return offline(null);
  if (runningEngine(homePaths(home).lock) === undefined)
    return offline('the engine is not running: nothing is being sent (start it with `glassbox serve`)');
  const engine = connectToEngine(home);
  return { status: await engine.call<MirrorStatus>('GET', '/api/team'), note: null };
}

/** The human-readable status. */
export function teamStatusText(status: MirrorStatus, note: string | null): string {
  if (!status.configured) return `${NOT_CONFIGURED}\n`;
  const lines = [`Team server: ${status.url}`];
  const parts = [`Mirror: ${status.state}`];
  if (status.sessions_behind > 0)
    parts.push(`${count(status.sessions_behind)} sessions behind by ${count(status.events_behind)} events`);
  if (status.refused > 0) parts.push(`${count(status.refused)} refused`);
  lines.push(parts.join(' — '));
  if (note) lines.push(note);
  if (status.last_success_at !== null)
    lines.push(`Last batch accepted: ${timestamp(status.last_success_at * 1000)}`);
  if (status.last_error) lines.push(`Last error: ${status.last_error}`);
  if (status.state === 'signed-out')
    lines.push('Nothing can be sent until you sign in: run `glassbox login`');
  if (status.sessions.length === 0) {
    if (status.state !== 'off') lines.push('Every session is mirrored.');
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    '',
    `${'SESSION'.padEnd(28)}${'STATE'.padEnd(10)}${'ACKED/HEAD'.padEnd(16)}${'BEHIND'.padEnd(9)}ERROR`,
  );
  for (const session of status.sessions) {
    const retry =
      session.next_attempt_at !== null ? ` (retry ${timestamp(session.next_attempt_at * 1000)})` : '';
    lines.push(
      `${session.session_id.padEnd(28)}${session.state.padEnd(10)}${`${session.acked_seq}/${session.head_seq}`.padEnd(16)}${String(session.behind).padEnd(9)}${session.last_error ?? ''}${retry}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
