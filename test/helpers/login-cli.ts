/**
 * Drives `glassbox login` as the real bin (`node bin/glassbox.js`) against the test OIDC provider: a home whose
 * config.json points at the provider, the child process with its output read while it waits, and the links
 * it prints (the browser flow's authorization URL, the device flow's verification URL and user code).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IdentitySettings } from '../../proxy/identity/types.js';
import { GLASSBOX_BIN, waitFor } from './cli.js';
import { testIdentitySettings } from './identity-signin.js';
import type { TestOidcProvider } from './oidc-provider.js';

/** Writes `home`/config.json with an identity section for `provider` (plus `extra`). */
export function writeIdentityConfig(
  home: string,
  provider: TestOidcProvider,
  extra: Partial<IdentitySettings> = {},
): IdentitySettings {
  const settings = testIdentitySettings(provider, extra);
  const { required: _required, ...identity } = settings;
  writeFileSync(join(home, 'config.json'), JSON.stringify({ identity }, null, 2), { mode: 0o600 });
  return settings;
}

/** A running `glassbox login`. */
export interface LoginProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  /** Waits until stderr matches `pattern` and returns the match. */
  waitForErr(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpExecArray>;
}

/**
 * Starts `glassbox login ...args` with `GLASSBOX_HOME=home`; `env` is laid over this process's environment,
 * with DISPLAY, WAYLAND_DISPLAY, SSH_* and CI cleared first unless `env` sets them.
 */
export function startLogin(home: string, args: string[], env: NodeJS.ProcessEnv = {}): LoginProcess {
  return startSignInCommand(home, ['login', ...args], env);
}

/**
 * Starts any `glassbox` command that signs in (`login`, `team join URL`) as {@link startLogin} does: `args`
 * are the whole command line after `glassbox`.
 */
export function startSignInCommand(home: string, args: string[], env: NodeJS.ProcessEnv = {}): LoginProcess {
  const base = { ...process.env };
  for (const name of ['DISPLAY', 'WAYLAND_DISPLAY', 'SSH_CONNECTION', 'SSH_TTY', 'CI']) delete base[name];
  const child = spawn(process.execPath, [GLASSBOX_BIN, ...args], {
    env: { ...base, GLASSBOX_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForErr: async (pattern, what, timeoutMs = 30_000) => {
      try {
        return await waitFor(() => pattern.exec(stderr), timeoutMs, what);
      } catch (error) {
        throw new Error(`${(error as Error).message}; stderr so far:\n${stderr}\nstdout:\n${stdout}`);
      }
    },
  };
}

/** The authorization URL a browser-flow `glassbox login` printed. */
export async function printedAuthorizationUrl(login: LoginProcess): Promise<string> {
  const match = await login.waitForErr(/^ {4}(http:\/\/\S+\/auth\?\S+)$/m, 'the authorization URL');
  return match[1] ?? '';
}

/** The verification URL and user code a device-flow `glassbox login` printed. */
export async function printedDeviceCode(login: LoginProcess): Promise<{ uri: string; userCode: string }> {
  const match = await login.waitForErr(
    /open this page on any device:\n\n {4}(\S+)\n\nand enter the code:\n\n {4}(\S+)\n/,
    'the verification URL and user code',
  );
  return { uri: match[1] ?? '', userCode: match[2] ?? '' };
}
