/**
 * Do-not-disturb detection where the desktop exposes it: GNOME (and desktops built on its settings) turn
 * banners off with `org.gnome.desktop.notifications show-banners false`. macOS Focus and Windows Focus
 * Assist have no query Electron offers; there the OS itself holds notifications back. The answer is
 * refreshed in the background so the check itself never blocks.
 */
import { execFile } from 'node:child_process';

/** Runs a command and resolves with its standard output, or rejects. */
export type CommandRunner = (command: string, args: string[]) => Promise<string>;

/** The real runner: `execFile` with a 2 s timeout. */
export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 2_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });

/** A do-not-disturb probe: `quiet()` answers from the last reading; `stop()` ends the refreshing. */
export interface DoNotDisturbProbe {
  quiet(): boolean;
  /** Reads the setting now (also done every `intervalMs`). */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * A probe for `platform`: GNOME's setting on Linux (false when gsettings is missing or says banners are on),
 * never quiet elsewhere (the OS filters).
 */
export function doNotDisturbProbe(
  platform: NodeJS.Platform,
  run: CommandRunner = runCommand,
  intervalMs = 30_000,
): DoNotDisturbProbe {
  const state = { quiet: false };
  if (platform !== 'linux')
    return { quiet: () => false, refresh: async () => undefined, stop: () => undefined };
  const refresh = async () => {
    try {
      const out = await run('gsettings', ['get', 'org.gnome.desktop.notifications', 'show-banners']);
      state.quiet = out.trim() === 'false';
    } catch {
      state.quiet = false;
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return { quiet: () => state.quiet, refresh, stop: () => clearInterval(timer) };
}
