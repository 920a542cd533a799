/**
 * The desktop shell's behaviour, Electron-free: keeps the tray in step with the engine, routes menu actions,
 * shows notifications, and answers the window's IPC. main.ts supplies the Electron side through
 * {@link DesktopPorts}; tests can supply plain objects.
 */
import type { Approval } from '../proxy/api/types.js';
import {
  applyClaudeSetup,
  ClaudeSettingsError,
  canUndoClaudeSetup,
  planClaudeSetup,
  undoClaudeSetup,
} from '../proxy/claude-code/settings.js';
import type { IdentityResponse, SignInState } from '../proxy/identity/types.js';
import type { MirrorStatus } from '../proxy/sync/types.js';
import { PendingApprovals } from './approvals.js';
import type { StartAtLogin } from './autostart.js';
import { EngineClient, startOfTodayUs } from './engine-client.js';
import type { DesktopState, EngineConnection, SignInResult } from './ipc-contract.js';
import type { NotificationDecider, NotificationSpec } from './notifications.js';
import { isSignInUrl, traySignIn } from './sign-in.js';
import type { EngineState, EngineSupervisor } from './supervisor.js';
import { trayTeamLine } from './team.js';
import {
  type TrayAction,
  type TrayIconState,
  type TrayInputs,
  type TrayMenuItem,
  trayIcon,
  trayMenu,
  trayTitle,
  trayTooltip,
} from './tray-model.js';

/** The Electron side, reduced to what the shell does with it. */
export interface DesktopPorts {
  /** `title`: text beside the icon (macOS shows it; the pending approvals' count, or ''). */
  showTray(icon: TrayIconState, tooltip: string, menu: TrayMenuItem[], title: string): void;
  notify(spec: NotificationSpec): void;
  /** Asks a yes/no question; true for yes. */
  confirm(title: string, message: string, detail: string, yes: string): Promise<boolean>;
  alert(kind: 'info' | 'error', title: string, message: string): void;
  copyText(text: string): void;
  /** Opens a URL in the user's browser (Electron's shell.openExternal). */
  openExternal(url: string): Promise<void>;
  /** Shows (creating if needed) the window, optionally at a renderer route. */
  openWindow(route?: string): void;
  /** Pushes the desktop state to the window, when there is one. */
  pushState(state: DesktopState): void;
  quit(): void;
}

/** What the shell works with. */
export interface DesktopOptions {
  ports: DesktopPorts;
  supervisor: EngineSupervisor;
  /** The engine's API address and token (read when needed: the engine writes the token at first start). */
  connection: () => EngineConnection;
  decider: NotificationDecider;
  startAtLogin: StartAtLogin;
  /** ~/.claude/settings.json */
  claudeSettings: string;
  /**
   * The shell command Claude Code runs as its PreToolUse hook (`glassbox hook claude-code` through this
   * app's runtime; proxy/claude-code/settings.ts `hookCommand`).
   */
  claudeHookCommand: string;
  /** The `glassbox env` lines for the user's shell (runs the CLI entry). */
  terminalSetup: () => Promise<string>;
  /** Set when secrets are not protected by the OS keychain (see vault-key.ts). */
  secretsWarning: string | null;
}

/** See the file comment. */
export class DesktopShell {
  private recording: boolean | undefined;
  private pausedBy: string | undefined;
  /** Why the engine cannot record (its store refuses writes: a full disk), while it cannot. */
  private notRecording: string | undefined;
  private sessionsToday = 0;
  private engine: EngineState = 'stopped';
  private readonly approvals = new PendingApprovals();
  /** How many approvals wait, by the engine's last count (may exceed those listed). */
  private pendingCount = 0;
  /** The sign-in as the engine last said (undefined: not read yet, or an engine without sign-in). */
  private identity: IdentityResponse | undefined;
  /** Counts live sign-in changes, so a slower re-read never undoes a newer one. */
  private identityChanges = 0;
  /** The team mirror as the engine last said (undefined: not read yet, or an engine without a team API). */
  private team: MirrorStatus | undefined;
  /** Counts live team changes, as {@link identityChanges} does. */
  private teamChanges = 0;

  constructor(private readonly options: DesktopOptions) {}

  /** The engine changed state (wired to the supervisor's onState). */
  engineState(state: EngineState): void {
    this.engine = state;
    if (state !== 'running') {
      this.recording = undefined;
      this.notRecording = undefined;
      // A stopped engine withdraws what was pending (proxy/policy/approvals/broker.ts).
      this.approvals.reset([]);
      this.pendingCount = 0;
    }
    this.render();
    if (state === 'running') void this.refresh();
  }

  /**
   * Re-reads the recording state, whether the engine can record, today's count and the pending approvals
   * from the engine, then redraws. Never throws.
   */
  async refresh(): Promise<void> {
    // The sign-in first: everything read below is then applied and drawn in one step (no await between).
    const asOf = this.identityChanges;
    let identity: { read: IdentityResponse | undefined } | undefined;
    try {
      identity = { read: await this.client().identity() };
    } catch {
      // The engine is (re)starting; the last known sign-in stays shown.
    }
    const teamAsOf = this.teamChanges;
    let team: { read: MirrorStatus | undefined } | undefined;
    try {
      team = { read: await this.client().team() };
    } catch {
      // The engine is (re)starting; the last known mirror state stays shown.
    }
    try {
      const state = await this.client().recording();
      this.recording = state.recording;
      this.pausedBy = state.paused ? `${state.paused.by} via ${state.paused.via}` : undefined;
      const { store } = await this.client().health();
      this.notRecording = store && !store.ok ? (store.error ?? 'the store refuses writes') : undefined;
      this.sessionsToday = await this.client().sessionsSince(startOfTodayUs());
      this.approvals.startReading();
      const { approvals, pending } = await this.client().approvals();
      this.approvals.reset(approvals);
      this.pendingCount = Math.max(pending, this.approvals.size);
    } catch {
      // The engine is (re)starting; the supervisor's state change redraws.
    }
    // A live change that arrived meanwhile is newer than what was read.
    if (identity && asOf === this.identityChanges) {
      this.identity = identity.read;
      this.announceSignIn();
    }
    if (team && teamAsOf === this.teamChanges) this.team = team.read;
    this.render();
  }

  /** The team mirror changed on the live feed (the whole status): the tray's "Team: …" line follows at once. */
  teamChanged(status: MirrorStatus): void {
    this.team = status;
    this.teamChanges++;
    this.render();
  }

  /** The sign-in changed on the live feed: the tray follows at once, and an expiry is announced once. */
  identityChanged(state: SignInState): void {
    if (!this.identity) {
      // Not read yet (or read from an engine without sign-in): read the whole answer (issuer, hint).
      void this.refresh();
      return;
    }
    this.identity = { ...this.identity, state };
    this.identityChanges++;
    this.announceSignIn();
    this.render();
  }

  /** Asks the decider about the current sign-in state: one notification when it turns expired. */
  private announceSignIn(): void {
    const identity = this.identity;
    if (!identity?.configured) return;
    const { state } = identity;
    this.notify(
      this.options.decider.decide({
        type: 'sign-in',
        status: state.status,
        issuer: identity.issuer ?? state.claims?.issuer ?? null,
        reason: state.reason,
      }),
    );
  }

  /**
   * Starts a browser sign-in: the engine begins it (POST /api/identity/login) and the provider's page opens in
   * the user's browser. Used by the tray and the window (IPC). Never throws.
   */
  async signIn(): Promise<SignInResult> {
    try {
      const { url } = await this.client().identityLogin();
      if (!isSignInUrl(url))
        return { ok: false, message: `Glassbox did not open the sign-in page ${url}: not an https address.` };
      await this.options.ports.openExternal(url);
      return { ok: true };
    } catch (error) {
      return { ok: false, message: `Sign-in could not start: ${(error as Error).message}` };
    }
  }

  /** An approval changed on the live feed: the tray's count and list follow at once. */
  approvalChanged(approval: Approval): void {
    const before = this.approvals.size;
    if (!this.approvals.change(approval)) return;
    this.pendingCount = Math.max(0, this.pendingCount + this.approvals.size - before);
    this.render();
  }

  /** What the window shows through IPC. */
  desktopState(): DesktopState {
    return {
      engine: this.engine,
      recording: this.recording,
      notice:
        this.recording === false
          ? `Recording is paused${this.pausedBy ? ` (by ${this.pausedBy})` : ''}: traffic still flows through Glassbox but is NOT recorded.`
          : null,
      secretsWarning: this.options.secretsWarning,
    };
  }

  /** The tray's inputs right now. */
  trayInputs(): TrayInputs {
    const signIn = traySignIn(this.identity);
    const team = trayTeamLine(this.team);
    return {
      engine: this.engine,
      recording: this.recording,
      ...(this.pausedBy ? { pausedBy: this.pausedBy } : {}),
      ...(this.notRecording ? { notRecording: this.notRecording } : {}),
      sessionsToday: this.sessionsToday,
      pendingApprovals: this.pendingCount,
      approvals: this.approvals.entries(),
      startAtLogin: this.options.startAtLogin.isEnabled(),
      claudeConfigured: canUndoClaudeSetup(this.options.claudeSettings),
      ...(signIn ? { signIn } : {}),
      ...(team ? { team } : {}),
    };
  }

  /** Runs a tray menu action (`arg`: the approval `open-approval` opens). Errors become a dialog; never throws. */
  async act(action: TrayAction, arg?: string): Promise<void> {
    const { ports } = this.options;
    try {
      switch (action) {
        case 'toggle-recording': {
          const next = this.recording === false;
          await this.client().setRecording(next, 'tray');
          await this.refresh();
          break;
        }
        case 'open':
          ports.openWindow();
          break;
        case 'open-approvals':
          ports.openWindow('/approvals');
          break;
        case 'open-approval':
          ports.openWindow(arg ? `/approvals/${encodeURIComponent(arg)}` : '/approvals');
          break;
        case 'copy-terminal-setup':
          ports.copyText(await this.options.terminalSetup());
          break;
        case 'setup-claude':
          await this.setUpClaude();
          break;
        case 'undo-claude': {
          const { notes } = undoClaudeSetup(this.options.claudeSettings);
          const done =
            'Claude Code no longer goes through Glassbox, and its tool calls are no longer checked.';
          ports.alert('info', 'Claude Code', [done, ...notes].join('\n'));
          break;
        }
        case 'toggle-start-at-login':
          this.options.startAtLogin.setEnabled(!this.options.startAtLogin.isEnabled());
          break;
        case 'restart-engine':
          await this.options.supervisor.start();
          break;
        case 'sign-in': {
          const started = await this.signIn();
          if (!started.ok) ports.alert('error', 'Glassbox: sign in', started.message);
          break;
        }
        case 'sign-out':
          await this.client().identityLogout();
          await this.refresh();
          break;
        case 'quit':
          ports.quit();
          return;
      }
    } catch (error) {
      const message = error instanceof ClaudeSettingsError ? error.message : (error as Error).message;
      ports.alert('error', 'Glassbox', message);
    }
    this.render();
  }

  private async setUpClaude(): Promise<void> {
    const { ports, claudeSettings } = this.options;
    const health = (await this.healthUrl()) ?? 'http://127.0.0.1:8787';
    const plan = planClaudeSetup(claudeSettings, {
      baseUrl: health,
      hookCommand: this.options.claudeHookCommand,
    });
    if (!plan.changes) {
      ports.alert('info', 'Claude Code', `Claude Code already goes through Glassbox (${health}).`);
      return;
    }
    const yes = await ports.confirm(
      'Set up Claude Code',
      plan.summary,
      `Every \`claude\` run will then be recorded by Glassbox, and its shell commands and file edits checked by Glassbox's guardrails first. A backup of the file is kept, and the tray can undo this.\n\nNew contents:\n${plan.after}`,
      'Change settings',
    );
    if (!yes) return;
    const { backup } = applyClaudeSetup(plan);
    ports.alert(
      'info',
      'Claude Code',
      `Done. New \`claude\` sessions are recorded and their tool calls checked.${backup ? ` The previous file is saved as ${backup}.` : ''}`,
    );
  }

  private client(): EngineClient {
    return new EngineClient(this.options.connection());
  }

  /** The Anthropic proxy's URL as the engine reports it. */
  private async healthUrl(): Promise<string | undefined> {
    try {
      const { apiUrl, token } = this.options.connection();
      const response = await fetch(`${apiUrl}/api/health`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await response.json()) as { proxies?: { anthropic?: { url?: string } } };
      return body.proxies?.anthropic?.url;
    } catch {
      return undefined;
    }
  }

  /** Shows a notification for a notification-worthy engine signal (wired to live-signals). */
  notify(spec: NotificationSpec | undefined): void {
    if (spec) this.options.ports.notify(spec);
  }

  private render(): void {
    const inputs = this.trayInputs();
    this.options.ports.showTray(trayIcon(inputs), trayTooltip(inputs), trayMenu(inputs), trayTitle(inputs));
    this.options.ports.pushState(this.desktopState());
  }
}
