/**
 * Whether a browser can open here, and opening one (the `open` package: `open`/`xdg-open`/`start`).
 * `open` resolves even when no browser can open (on Linux without a display its xdg-open exits with 3 after
 * the promise has resolved), so the choice of the device flow is made from the environment, and a failed
 * opener is reported afterwards from its exit code.
 */
import type { ChildProcess } from 'node:child_process';
import open from 'open';

/** Environment variables that decide {@link noBrowserReason}. */
type BrowserEnv = Partial<
  Record<'CI' | 'SSH_CONNECTION' | 'SSH_TTY' | 'DISPLAY' | 'WAYLAND_DISPLAY' | 'WSL_DISTRO_NAME', string>
>;

/** True when an environment flag is set to something other than empty, "0" or "false". */
function flag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/**
 * Why no browser can open for the person running this command, or null when one can: `CI` set (nobody is at
 * a CI job's screen), an SSH session (`SSH_CONNECTION`/`SSH_TTY`: a browser would open on the remote
 * machine, if at all), or a Linux/BSD desktop-less session (neither `DISPLAY` nor `WAYLAND_DISPLAY`; WSL,
 * which opens the Windows browser, excepted). macOS and Windows always have one.
 */
export function noBrowserReason(
  env: BrowserEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | null {
  if (flag(env.CI)) return 'CI is set';
  if (env.SSH_CONNECTION || env.SSH_TTY) return 'this is an SSH session';
  if (platform === 'darwin' || platform === 'win32') return null;
  if (env.WSL_DISTRO_NAME) return null;
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY)
    return 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return null;
}

/**
 * Opens `url` in the system browser without waiting for it. `onFailure` is called (at most once) when the
 * opener cannot start or exits with a non-zero code, with the reason for people; the caller has printed the
 * URL already, so a failure only needs saying.
 */
export async function openBrowser(url: string, onFailure: (why: string) => void): Promise<void> {
  let child: ChildProcess;
  try {
    child = await open(url);
  } catch (error) {
    onFailure((error as Error).message);
    return;
  }
  let told = false;
  const fail = (why: string) => {
    if (told) return;
    told = true;
    onFailure(why);
  };
  child.once('error', (error) => fail(error.message));
  child.once('exit', (code) => {
    if (code) fail(`the opener exited with code ${code}`);
  });
}
