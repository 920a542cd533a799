import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Shells `glassbox env` can print for. */
export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];

/** Guesses the user's shell from $SHELL (or PowerShell on Windows); bash when unsure. */
export function detectShell(env: NodeJS.ProcessEnv = process.env, platform = process.platform): Shell {
  if (platform === 'win32' && !env.SHELL) return 'powershell';
  const name = (env.SHELL ?? '').split('/').pop() ?? '';
  if (name === 'zsh' || name === 'fish') return name;
  if (name.startsWith('pwsh') || name.startsWith('powershell')) return 'powershell';
  return 'bash';
}

/** The lines that point a shell's agents at the proxy, e.g. `export ANTHROPIC_BASE_URL=http://127.0.0.1:8787`. */
export function envLines(shell: Shell, vars: Record<string, string>): string[] {
  return Object.entries(vars).map(([name, value]) => {
    switch (shell) {
      case 'fish':
        return `set -gx ${name} ${quotePosix(value)}`;
      case 'powershell':
        return `$env:${name} = "${value.replace(/[`"$]/g, '`$&')}"`;
      default:
        return `export ${name}=${quotePosix(value)}`;
    }
  });
}

function quotePosix(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * How the user should invoke the CLI from their own shell: `glassbox` when an executable of that name is on
 * their `PATH` (a global or linked install), else `npx glassbox` (a checkout, or `npm start`, where it is
 * not). Run through `npx` or `npm run` (`npm_command` set), the PATH this process sees is npm's, not the
 * shell's: npm's own additions (`node_modules/.bin`, npx's cache) do not count, and under `npx` the user
 * evidently types `npx glassbox`.
 */
export function cliCommand(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.npm_command === 'exec') return 'npx glassbox';
  const names = platform === 'win32' ? ['glassbox.cmd', 'glassbox.exe', 'glassbox'] : ['glassbox'];
  const npmOwn = /[\\/](node_modules[\\/]\.bin|_npx[\\/])/;
  const dirs = (env.PATH ?? '')
    .split(platform === 'win32' ? ';' : ':')
    .filter((dir) => dir && !(env.npm_command && npmOwn.test(dir)));
  const onPath = dirs.some((dir) =>
    names.some((name) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }),
  );
  return onPath ? 'glassbox' : 'npx glassbox';
}

/** The one-liner that applies `glassbox env` in the given shell, e.g. `eval "$(npx glassbox env)"`. */
export function applyEnvCommand(shell: Shell, cli: string): string {
  switch (shell) {
    case 'fish':
      return `${cli} env | source`;
    case 'powershell':
      return `${cli} env | Out-String | Invoke-Expression`;
    default:
      return `eval "$(${cli} env)"`;
  }
}
