import { describe, expect, it } from 'vitest';
import { trayTeamLine } from '../../../main/team.js';
import { type TrayInputs, trayMenu } from '../../../main/tray-model.js';
import type { MirrorStatus } from '../../../proxy/sync/types.js';

/** A MirrorStatus fixture: configured and up to date unless `extra` says otherwise. */
function status(extra: Partial<MirrorStatus> = {}): MirrorStatus {
  return {
    configured: true,
    url: 'https://glassbox.example.test',
    state: 'up-to-date',
    sessions_behind: 0,
    events_behind: 0,
    refused: 0,
    last_success_at: 1_765_000_000_000,
    last_error: null,
    sessions: [],
    ...extra,
  };
}

const base: TrayInputs = {
  engine: 'running',
  recording: true,
  sessionsToday: 3,
  pendingApprovals: 0,
  approvals: [],
  startAtLogin: false,
  claudeConfigured: false,
};
const labels = (inputs: TrayInputs) => trayMenu(inputs).map((item) => ('label' in item ? item.label : '—'));

describe('the tray’s team line', () => {
  it('says how the mirror stands as a whole', () => {
    expect(trayTeamLine(status())).toBe('Team: up to date');
    expect(trayTeamLine(status({ state: 'mirroring', sessions_behind: 3, events_behind: 200 }))).toBe(
      'Team: 3 sessions behind',
    );
    expect(trayTeamLine(status({ state: 'mirroring', sessions_behind: 1 }))).toBe('Team: 1 session behind');
    expect(trayTeamLine(status({ state: 'offline', last_error: 'connect ECONNREFUSED' }))).toBe(
      'Team: offline — retrying',
    );
    expect(trayTeamLine(status({ state: 'refused', refused: 1, sessions_behind: 1 }))).toBe(
      'Team: refused 1 session',
    );
    expect(trayTeamLine(status({ state: 'refused', refused: 2 }))).toBe('Team: refused 2 sessions');
    expect(trayTeamLine(status({ state: 'signed-out' }))).toBe('Team: not signed in — nothing is sent');
  });

  it('is absent without a team server, with mirroring off, or before the engine answered', () => {
    expect(trayTeamLine(undefined)).toBeUndefined();
    expect(trayTeamLine(status({ configured: false, url: null, state: 'off' }))).toBeUndefined();
    expect(trayTeamLine(status({ state: 'off' }))).toBeUndefined();
    expect(labels(base).some((label) => label.startsWith('Team'))).toBe(false);
  });

  it('sits in the menu above the day’s sessions', () => {
    const menu = labels({ ...base, team: 'Team: 3 sessions behind' });
    const at = menu.indexOf('Team: 3 sessions behind');
    expect(at).toBeGreaterThan(0);
    expect(menu[at + 1]).toBe('Sessions today: 3');
    expect(trayMenu({ ...base, team: 'Team: up to date' })[at]).toEqual({
      type: 'info',
      label: 'Team: up to date',
    });
  });
});
