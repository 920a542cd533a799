/**
 * What guard rules derive from a shell command's facts (types.ts `ShellCommandFacts`) for particular
 * programs: the branches a `git push` forces or deletes, and the files a command writes when the classifier
 * did not list them.
 */
import type { ShellCommandFacts } from './types.js';

/** The branches a `git push` forces or deletes. `unnamed`: it forces something it does not name. */
export interface ForcedPush {
  branches: string[];
  unnamed: boolean;
}

const FORCE_FLAGS = new Set(['force', 'f', 'force-with-lease', 'mirror']);
const DELETE_FLAGS = new Set(['delete', 'd']);
const ALL_FLAGS = new Set(['all', 'branches', 'mirror', 'tags']);

/**
 * The branches a `git push` overwrites or deletes (git-push(1): `git push [<options>] [<repository>
 * [<refspec>…]]`), or null when it is not a git push or forces nothing. Forcing: `--force`/`-f`,
 * `--force-with-lease[=…]`, `--mirror`, or a refspec's leading `+`; deleting: `--delete`/`-d` or a refspec
 * `:branch`. A refspec's destination is the part after `:` (`HEAD:main` → `main`), without `refs/heads/`.
 * A forcing push that names no branch (`git push -f`, `git push -f origin`, `HEAD`, `--all`, a `$VAR`) is
 * `unnamed`: the branch is the current one or the upstream, which the facts do not show.
 */
export function forcedPush(command: ShellCommandFacts): ForcedPush | null {
  if (command.name !== 'git') return null;
  const words = [...command.subcommands, ...command.args];
  if (words[0] !== 'push') return null;
  const flags = command.flags.map((f) => f.replace(/=.*$/, ''));
  const forceAll = flags.some((f) => FORCE_FLAGS.has(f));
  const deleting = flags.some((f) => DELETE_FLAGS.has(f));
  const refspecs = words.slice(2);
  const result: ForcedPush = { branches: [], unnamed: false };
  for (const refspec of refspecs) {
    const plus = refspec.startsWith('+');
    const spec = plus ? refspec.slice(1) : refspec;
    const colon = spec.lastIndexOf(':');
    const deletion = deleting || (colon === 0 && spec.length > 1);
    if (!forceAll && !plus && !deletion) continue;
    const destination = (colon >= 0 ? spec.slice(colon + 1) : spec).replace(/^refs\/heads\//, '');
    if (destination === '' || destination === 'HEAD' || destination === '@' || /[$`*]/.test(destination))
      result.unnamed = true;
    else result.branches.push(destination);
  }
  if ((forceAll || deleting) && (refspecs.length === 0 || flags.some((f) => ALL_FLAGS.has(f))))
    result.unnamed = true;
  return result.unnamed || result.branches.length > 0 ? result : null;
}

const LAST_PATH_IS_TARGET = new Set(['cp', 'mv', 'install', 'ln', 'rsync', 'scp']);

/**
 * The files a command writes: its output redirections' targets (the classifier's `writes`), plus `tee`'s
 * paths or the last path of `cp`/`mv`/`install`/`ln`/`rsync`/`scp` (their destination).
 */
export function writtenPaths(command: ShellCommandFacts): readonly string[] {
  const redirected = command.writes ?? [];
  if (command.name === 'tee') return [...redirected, ...command.paths];
  if (LAST_PATH_IS_TARGET.has(command.name) && command.paths.length > 1)
    return [...redirected, ...command.paths.slice(-1)];
  return redirected;
}
