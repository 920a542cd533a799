/**
 * What the tray shows, derived from the engine's state: the icon, the tooltip and the menu. Pure functions;
 * the Electron glue turns {@link TrayMenuItem}s into a Menu and routes clicks by `id`.
 */
import type { TraySignIn } from './sign-in.js';
import type { EngineState } from './supervisor.js';

/** Everything the tray depends on. */
export interface TrayInputs {
  engine: EngineState;
  /** Undefined until the engine has answered GET /api/recording. */
  recording: boolean | undefined;
  /** Who paused recording and through what, when paused (e.g. "alice via tray"). */
  pausedBy?: string;
  /**
   * Why the running engine cannot record, while it cannot (its store refuses writes, e.g. "the disk holding
   * … is full (ENOSPC …)"): clients are refused meanwhile.
   */
  notRecording?: string;
  sessionsToday: number;
  /** How many approvals wait for a decision now. */
  pendingApprovals: number;
  /** Pending approvals to list in the tray's submenu, newest first (at most {@link MAX_LISTED} shown). */
  approvals: PendingApprovalEntry[];
  startAtLogin: boolean;
  /** True when `~/.claude/settings.json` has a Glassbox change that can be undone. */
  claudeConfigured: boolean;
  /** The sign-in (issue 18); absent when sign-in is not configured (no entries then). */
  signIn?: TraySignIn;
  /** The mirror's "Team: …" line (team.ts trayTeamLine); absent without a team server (no line then). */
  team?: string;
}

/** A pending approval as the tray lists it: its id and a one-line label (what, by which client, where). */
export interface PendingApprovalEntry {
  id: string;
  label: string;
}

/** Pending approvals listed in the submenu at most; the rest are counted ("and 3 more"). */
export const MAX_LISTED = 10;

/** The tray icon's state, in order of precedence: error, approval pending, paused, recording. */
export type TrayIconState = 'error' | 'approval' | 'paused' | 'recording';

/** Menu actions the glue routes. */
export type TrayAction =
  | 'toggle-recording'
  | 'open'
  | 'open-approvals'
  | 'open-approval'
  | 'copy-terminal-setup'
  | 'setup-claude'
  | 'undo-claude'
  | 'toggle-start-at-login'
  | 'restart-engine'
  | 'sign-in'
  | 'sign-out'
  | 'quit';

/**
 * One menu entry: an action (with `arg` when it concerns one thing, e.g. the approval `open-approval`
 * opens), a checkbox, a disabled line of information, a submenu, or a separator.
 */
export type TrayMenuItem =
  | { type: 'action'; id: TrayAction; label: string; enabled: boolean; arg?: string }
  | { type: 'submenu'; label: string; items: TrayMenuItem[] }
  | { type: 'checkbox'; id: TrayAction; label: string; checked: boolean; enabled: boolean }
  | { type: 'info'; label: string }
  | { type: 'separator' };

/** Which icon to show. */
export function trayIcon(inputs: TrayInputs): TrayIconState {
  if (inputs.engine === 'failed' || inputs.engine === 'restarting' || inputs.engine === 'stopped')
    return 'error';
  if (inputs.notRecording) return 'error';
  if (inputs.pendingApprovals > 0) return 'approval';
  if (inputs.recording === false) return 'paused';
  return 'recording';
}

/**
 * The icon's file name under build/icons/tray/: template images on macOS (black with alpha, the OS tints
 * them; the `Template` suffix is what tells it), coloured PNGs elsewhere.
 */
export function trayIconFile(state: TrayIconState, platform: NodeJS.Platform): string {
  return platform === 'darwin' ? `tray-${state}Template.png` : `tray-${state}.png`;
}

/** Text beside the icon (shown by macOS's menu bar): the pending approvals' count, else nothing. */
export function trayTitle(inputs: TrayInputs): string {
  return inputs.pendingApprovals > 0 ? String(inputs.pendingApprovals) : '';
}

/** The tooltip: one plain sentence, saying so when traffic is not being recorded. */
export function trayTooltip(inputs: TrayInputs): string {
  switch (inputs.engine) {
    case 'failed':
      return 'Glassbox: the engine stopped and could not be restarted';
    case 'restarting':
      return 'Glassbox: the engine stopped; restarting';
    case 'stopped':
    case 'stopping':
      return 'Glassbox: the engine is stopped';
    case 'starting':
      return 'Glassbox: starting';
    default:
      break;
  }
  if (inputs.notRecording) return `Glassbox: NOT recording — ${inputs.notRecording}`;
  if (inputs.pendingApprovals > 0) return `Glassbox: ${plural(inputs.pendingApprovals, 'approval')} waiting`;
  if (inputs.recording === false) return 'Glassbox: recording PAUSED — traffic flows but is not recorded';
  if (inputs.signIn?.status === 'expired')
    return `Glassbox: recording — sign-in expired: sign in again (${inputs.signIn.command})`;
  return 'Glassbox: recording';
}

/** The menu, top to bottom. */
export function trayMenu(inputs: TrayInputs): TrayMenuItem[] {
  const running = inputs.engine === 'running';
  const items: TrayMenuItem[] = [];
  if (inputs.engine === 'failed') {
    items.push({ type: 'info', label: 'The engine could not be started' });
    items.push({ type: 'action', id: 'restart-engine', label: 'Try again', enabled: true });
    items.push({ type: 'separator' });
  }
  items.push({
    type: 'checkbox',
    id: 'toggle-recording',
    label: 'Recording',
    checked: inputs.recording !== false,
    enabled: running && inputs.recording !== undefined,
  });
  if (inputs.recording === false) {
    items.push({
      type: 'info',
      label: `Paused${inputs.pausedBy ? ` by ${inputs.pausedBy}` : ''}: traffic is NOT recorded`,
    });
  }
  if (inputs.notRecording) {
    items.push({ type: 'info', label: `Cannot record: ${inputs.notRecording}` });
    items.push({ type: 'info', label: 'Clients are refused until this is fixed' });
  }
  items.push({ type: 'action', id: 'open', label: 'Open Glassbox', enabled: true });
  items.push({ type: 'separator' });
  if (inputs.signIn) {
    items.push(...signInItems(inputs.signIn, running));
    items.push({ type: 'separator' });
  }
  if (inputs.team) items.push({ type: 'info', label: inputs.team });
  items.push({ type: 'info', label: `Sessions today: ${inputs.sessionsToday}` });
  if (inputs.pendingApprovals > 0) {
    items.push({
      type: 'submenu',
      label: `Pending approvals (${inputs.pendingApprovals})`,
      items: approvalItems(inputs),
    });
  } else {
    items.push({ type: 'info', label: 'Pending approvals: 0' });
  }
  items.push({ type: 'separator' });
  items.push({ type: 'action', id: 'copy-terminal-setup', label: 'Copy terminal setup', enabled: true });
  items.push(
    inputs.claudeConfigured
      ? { type: 'action', id: 'undo-claude', label: 'Undo Claude Code setup…', enabled: true }
      : { type: 'action', id: 'setup-claude', label: 'Set up Claude Code…', enabled: true },
  );
  items.push({
    type: 'checkbox',
    id: 'toggle-start-at-login',
    label: 'Start at login',
    checked: inputs.startAtLogin,
    enabled: true,
  });
  items.push({ type: 'separator' });
  items.push({ type: 'action', id: 'quit', label: 'Quit Glassbox', enabled: true });
  return items;
}

/** The "Pending approvals" submenu: each pending approval (opens it in the window), then the inbox. */
function approvalItems(inputs: TrayInputs): TrayMenuItem[] {
  const listed = inputs.approvals.slice(0, MAX_LISTED);
  const items: TrayMenuItem[] = listed.map((entry) => ({
    type: 'action',
    id: 'open-approval',
    arg: entry.id,
    label: entry.label,
    enabled: true,
  }));
  const more = inputs.pendingApprovals - listed.length;
  if (more > 0) items.push({ type: 'info', label: `and ${more} more` });
  items.push({ type: 'separator' });
  items.push({ type: 'action', id: 'open-approvals', label: 'Open the Approvals inbox', enabled: true });
  return items;
}

/**
 * The sign-in entries: "Sign in…" while signed out; who is signed in, where the tokens live and "Sign out";
 * or, once the sign-in expired, "Sign in again…" with the terminal command. The engine runs the sign-in, so
 * the actions wait for it to run.
 */
function signInItems(signIn: TraySignIn, running: boolean): TrayMenuItem[] {
  switch (signIn.status) {
    case 'signed-out':
      return [{ type: 'action', id: 'sign-in', label: 'Sign in…', enabled: running }];
    case 'expired':
      return [
        { type: 'info', label: 'Sign-in expired: sessions are recorded unverified' },
        { type: 'action', id: 'sign-in', label: 'Sign in again…', enabled: running },
        { type: 'info', label: `Or run: ${signIn.command}` },
      ];
    case 'signed-in': {
      const items: TrayMenuItem[] = [{ type: 'info', label: `Signed in as ${signIn.who ?? 'unknown'}` }];
      if (signIn.tokensWhere) {
        const unprotected = signIn.tokensKind === 'file' ? ' (not in a keyring)' : '';
        items.push({ type: 'info', label: `Tokens: ${signIn.tokensWhere}${unprotected}` });
      }
      items.push({ type: 'action', id: 'sign-out', label: 'Sign out', enabled: running });
      return items;
    }
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
