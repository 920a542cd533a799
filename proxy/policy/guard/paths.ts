/**
 * Resolving the paths an agent's tool call names, the way the tool would: `~` and `~/…` are the user's home,
 * relative paths are taken against the session's working directory, `.`/`..` segments are normalised (POSIX
 * paths: Claude Code sessions on Linux and macOS).
 */
import { posix } from 'node:path';

/**
 * `path` as an absolute, normalised path without a trailing slash; undefined when it is empty, or relative
 * with no working directory to resolve it against (never guessed), or `~user/…` (another user's home).
 */
export function resolveToolPath(path: string, cwd: string | undefined, home: string): string | undefined {
  let p = path;
  if (p === '') return undefined;
  if (p === '~' || p.startsWith('~/')) p = home + p.slice(1);
  else if (p.startsWith('~')) return undefined;
  if (p.startsWith('/')) return posix.normalize(p).replace(/(.)\/+$/, '$1');
  if (!cwd) return undefined;
  return posix.resolve(cwd, p);
}
