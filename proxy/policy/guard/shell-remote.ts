/**
 * Commands an agent runs somewhere else through a local one: inside a container (`docker exec DB psql -c …`,
 * `docker run IMAGE rm -rf /data`, `docker compose exec SERVICE …`, `kubectl exec POD -- …`) or on another
 * host (`ssh HOST 'cmd'`). The local command stays a command of its own; the one it runs is classified too,
 * with `via` naming where (`docker exec`, `kubectl exec`, `ssh`), so that `DROP TABLE` through
 * `docker exec … psql -c` meets the same rules. Option tables: docker-exec(1), docker-run(1),
 * docker compose exec/run reference, kubectl exec reference, ssh(1).
 */
import { COMMANDS, DOCKER_RUN } from './shell-commands.js';
import { type OptionSpec, parseOptions } from './shell-options.js';
import type { Word } from './shell-words.js';

/**
 * What runs elsewhere: its words, or (ssh) a command line for the remote shell; `via` names where; `tail` is
 * how many of the local command's last arguments are the inner command's (not the local command's options).
 */
export type Inner = { via: string; tail: number } & ({ words: Word[] } | { text: Word });

const COMPOSE_RUN: OptionSpec = {
  short: {
    e: 'env',
    u: 'user',
    w: 'workdir',
    v: 'volume',
    p: 'publish',
    d: 'detach',
    T: 'no-TTY',
    i: 'interactive',
  },
  values: ['env', 'user', 'workdir', 'volume', 'publish', 'index', 'entrypoint', 'name', 'label', 'env-file'],
};

const COMPOSE_GLOBAL: OptionSpec = {
  short: { f: 'file', p: 'project-name' },
  values: [
    'file',
    'project-name',
    'profile',
    'env-file',
    'project-directory',
    'ansi',
    'progress',
    'parallel',
  ],
};

const SSH: OptionSpec = {
  values: [
    'p',
    'i',
    'l',
    'o',
    'F',
    'J',
    'L',
    'R',
    'D',
    'b',
    'c',
    'E',
    'e',
    'I',
    'm',
    'O',
    'Q',
    'S',
    'W',
    'w',
    'B',
  ],
};

/** After options (`spec`), a target (container, image, service, host), then the command: the command's words. */
function afterTarget(words: Word[], spec: OptionSpec): Word[] {
  const parsed = parseOptions(words, spec, true);
  return words.slice(parsed.rest + 1);
}

/** The command `name args…` runs elsewhere, if it is one of these; undefined otherwise. Never throws. */
export function innerCommand(name: string, args: Word[]): Inner | undefined {
  if (name === 'docker-compose') return composeInner(args);
  if (name === 'docker' || name === 'podman') {
    const global = parseOptions(args, COMMANDS.get('docker')?.options ?? {}, true);
    let rest = args.slice(global.rest);
    if (rest[0]?.value === 'container') rest = rest.slice(1);
    const sub = rest[0]?.dynamic ? undefined : rest[0]?.value;
    if (sub === 'compose') return composeInner(rest.slice(1));
    if (sub === 'exec' || sub === 'run' || sub === 'create') {
      return inner(`${name} ${sub}`, afterTarget(rest.slice(1), DOCKER_RUN));
    }
    return undefined;
  }
  if (name === 'kubectl') {
    const global = parseOptions(args, COMMANDS.get('kubectl')?.options ?? {}, true);
    const dashes = args.findIndex((w) => w.value === '--' && !w.dynamic);
    if (dashes < 0 || args[global.rest]?.value !== 'exec') return undefined;
    return inner('kubectl exec', args.slice(dashes + 1));
  }
  if (name === 'ssh') {
    const words = afterTarget(args, SSH);
    if (words.length === 0) return undefined;
    const text = { value: words.map((w) => w.value).join(' '), dynamic: words.some((w) => w.dynamic) };
    return { via: 'ssh', tail: words.length, text };
  }
  return undefined;
}

/** `docker compose [-f file …] exec|run [options] SERVICE cmd…`. */
function composeInner(args: Word[]): Inner | undefined {
  const global = parseOptions(args, COMPOSE_GLOBAL, true);
  const rest = args.slice(global.rest);
  const sub = rest[0]?.dynamic ? undefined : rest[0]?.value;
  if (sub !== 'exec' && sub !== 'run') return undefined;
  return inner(`docker compose ${sub}`, afterTarget(rest.slice(1), COMPOSE_RUN));
}

function inner(via: string, words: Word[]): Inner | undefined {
  return words.length ? { via, words, tail: words.length } : undefined;
}
