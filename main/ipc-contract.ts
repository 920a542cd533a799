/**
 * The desktop IPC contract: every channel between the renderer (through the preload) and the main process,
 * with its arguments and result. One map, shared by main (handlers), the preload (the exposed API) and the
 * renderer's type declarations (`import type { GlassboxDesktopApi } from '../main/ipc-contract'`). IPC carries
 * only desktop things; recordings go through the control API.
 */

/** Where the engine's control API is, for the renderer's fetch and WebSocket calls. */
export interface EngineConnection {
  /** e.g. http://127.0.0.1:8789 */
  apiUrl: string;
  /** The bearer token (also `?access_token=` for the WebSocket). */
  token: string;
}

/** Desktop facts the window shows: engine health, recording, and warnings the user must see. */
export interface DesktopState {
  engine: 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';
  /** Undefined until known. */
  recording: boolean | undefined;
  /** A plain sentence when recording is paused, e.g. "Recording is paused: traffic is NOT recorded." */
  notice: string | null;
  /** Set on Linux when secrets fall back to plain text (no keyring), else null. */
  secretsWarning: string | null;
}

/** What starting a sign-in from the window gave: the provider's page opened, or why not (a plain sentence). */
export type SignInResult = { ok: true } | { ok: false; message: string };

/** Renderer → main calls (ipcRenderer.invoke / ipcMain.handle): channel → [arguments, result]. */
export interface IpcInvokeContract {
  'glassbox:connection': { args: []; result: EngineConnection };
  'glassbox:desktop-state': { args: []; result: DesktopState };
  /** Opens an https:// link in the user's browser; false when refused (any other scheme). */
  'glassbox:open-external': { args: [url: string]; result: boolean };
  /**
   * Starts a browser sign-in as the tray does: the engine begins it (POST /api/identity/login) and main opens
   * the provider's page (https, or http on loopback for a local provider) in the user's browser.
   */
  'glassbox:sign-in': { args: []; result: SignInResult };
}

/** Main → renderer pushes (webContents.send / ipcRenderer.on): channel → payload. */
export interface IpcPushContract {
  'glassbox:desktop-state-changed': DesktopState;
  /** Navigate to a renderer route (a notification was clicked), e.g. "/approvals/01J…". */
  'glassbox:navigate': string;
}

/** Invoke channels by name. */
export type InvokeChannel = keyof IpcInvokeContract;
/** Push channels by name. */
export type PushChannel = keyof IpcPushContract;

/** The API the preload exposes as `window.glassboxDesktop` (absent in a plain browser). */
export interface GlassboxDesktopApi {
  connection(): Promise<EngineConnection>;
  desktopState(): Promise<DesktopState>;
  openExternal(url: string): Promise<boolean>;
  /** Starts a browser sign-in (see `glassbox:sign-in`). */
  signIn(): Promise<SignInResult>;
  /** Subscribes to state changes; returns the unsubscribe function. */
  onDesktopState(listener: (state: DesktopState) => void): () => void;
  /** Subscribes to navigation requests; returns the unsubscribe function. */
  onNavigate(listener: (route: string) => void): () => void;
}

/** Every invoke channel, for main's handler registration (checked complete against the contract). */
export const INVOKE_CHANNELS = {
  'glassbox:connection': true,
  'glassbox:desktop-state': true,
  'glassbox:open-external': true,
  'glassbox:sign-in': true,
} as const satisfies Record<InvokeChannel, true>;

/**
 * What the preload adds to the renderer's `window`; the renderer declares
 * `declare global { interface Window extends GlassboxDesktopWindow {} }` (absent in a plain browser).
 */
export interface GlassboxDesktopWindow {
  glassboxDesktop?: GlassboxDesktopApi;
}
