/**
 * The mirror to the team server (issue 19) as the tray shows it: one line of its overall state, from the
 * engine's GET /api/team and live `team` messages ({@link MirrorStatus}, proxy/sync/types.ts). Electron-free.
 */
import type { MirrorStatus } from '../proxy/sync/types.js';

function sessions(n: number): string {
  return `${n} session${n === 1 ? '' : 's'}`;
}

/**
 * The tray's "Team: …" line: "Team: up to date", "Team: 3 sessions behind", "Team: offline — retrying",
 * "Team: refused 1 session", "Team: not signed in — nothing is sent". Undefined (no line) when the engine
 * has not answered, has no team route, has no `team` section in config.json, or mirroring is off.
 */
export function trayTeamLine(status: MirrorStatus | undefined): string | undefined {
  if (!status?.configured) return undefined;
  switch (status.state) {
    case 'off':
      return undefined;
    case 'up-to-date':
      return 'Team: up to date';
    case 'mirroring':
      return status.sessions_behind > 0
        ? `Team: ${sessions(status.sessions_behind)} behind`
        : 'Team: sending';
    case 'offline':
      return 'Team: offline — retrying';
    case 'refused':
      return `Team: refused ${sessions(status.refused)}`;
    case 'signed-out':
      return 'Team: not signed in — nothing is sent';
  }
}
