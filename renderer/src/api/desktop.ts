import type { DesktopState, GlassboxDesktopApi } from '../../../main/ipc-contract';

/** How the dashboard reaches the engine: the bearer token, and where the live WebSocket is. */
export interface Connection {
  token: string;
  /** Origin of /api/live (`http://127.0.0.1:PORT`); undefined = the page's own origin. */
  liveBase?: string;
}

/** The desktop app's preload API on `window`, or undefined in a plain browser. */
export function desktopApi(target: object): GlassboxDesktopApi | undefined {
  return (target as { glassboxDesktop?: GlassboxDesktopApi }).glassboxDesktop;
}

/**
 * In the desktop window, asks the main process for the engine's address and token (the window's own
 * `fetch('/api/…')` goes through the app's protocol; only the WebSocket needs the address). Elsewhere null.
 */
export async function desktopConnection(api: GlassboxDesktopApi | undefined): Promise<Connection | null> {
  if (!api) return null;
  const { apiUrl, token } = await api.connection();
  return { token, liveBase: apiUrl };
}

export type { DesktopState };
