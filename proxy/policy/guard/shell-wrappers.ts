/**
 * Wrappers: commands that run another command (sudo, env, xargs, timeout, nohup, nice, time, command, exec,
 * stdbuf, ionice, setsid, doas) and shells given a command string (`sh -c`, `bash -c`, `zsh -c`, `eval`). The
 * classifier looks through them: the wrapped command becomes the command, and the wrappers are listed in
 * `via`. Option tables come from each tool's manual (sudo(8), env(1), xargs(1), timeout(1), nice(1), time(1),
 * bash(1) "SHELL BUILTIN COMMANDS" for command/exec/eval, stdbuf(1), ionice(1)).
 */
import { type OptionSpec, parseOptions } from './shell-options.js';
import { literal, type Word } from './shell-words.js';

/** How a wrapper reads its own options before the wrapped command. */
interface WrapperSpec {
  options: OptionSpec;
  /** Positionals the wrapper itself takes before the command (timeout's duration). */
  operands?: number;
  /** `NAME=value` words before the command set the environment (env, sudo). */
  assignments?: boolean;
  /** With one of these flags the wrapper runs nothing (`command -v rm` only looks `rm` up). */
  noRun?: readonly string[];
  /** The command run when none is given (xargs runs `echo`). */
  defaultCommand?: string;
  /** An option whose value is a command line run by a shell (`su -c 'cmd'`, `flock -c`, `script -c`). */
  commandOption?: string;
  /** The wrapper joins its command words with spaces and hands them to `sh -c` (`watch`). */
  joinsForShell?: boolean;
}

const WRAPPERS: ReadonlyMap<string, WrapperSpec> = new Map<string, WrapperSpec>([
  [
    'sudo',
    {
      options: {
        long: {
          user: 'u',
          group: 'g',
          host: 'h',
          prompt: 'p',
          'close-from': 'C',
          chdir: 'D',
          role: 'r',
          type: 't',
          'other-user': 'U',
          'command-timeout': 'T',
          chroot: 'R',
          login: 'i',
          shell: 's',
          list: 'l',
          validate: 'v',
          edit: 'e',
        },
        values: ['u', 'g', 'h', 'p', 'C', 'D', 'r', 't', 'U', 'T', 'R'],
      },
      assignments: true,
      noRun: ['l', 'v', 'k', 'K', 'V', 'e'],
    },
  ],
  ['doas', { options: { values: ['u', 'C'] }, noRun: ['C'] }],
  [
    'env',
    {
      options: {
        long: { 'ignore-environment': 'i', unset: 'u', chdir: 'C', null: '0', debug: 'v' },
        values: ['u', 'C'],
      },
      assignments: true,
    },
  ],
  [
    'xargs',
    {
      options: {
        long: {
          'max-args': 'n',
          'max-lines': 'L',
          'max-procs': 'P',
          'max-chars': 's',
          delimiter: 'd',
          'arg-file': 'a',
          null: '0',
          'no-run-if-empty': 'r',
          verbose: 't',
          interactive: 'p',
          exit: 'x',
          'open-tty': 'o',
          'process-slot-var': 'process-slot-var',
        },
        values: ['I', 'n', 'L', 'P', 's', 'd', 'a', 'E', 'process-slot-var'],
      },
      defaultCommand: 'echo',
    },
  ],
  ['timeout', { options: { long: { signal: 's', 'kill-after': 'k' }, values: ['s', 'k'] }, operands: 1 }],
  ['nohup', { options: {} }],
  ['nice', { options: { long: { adjustment: 'n' }, values: ['n'] } }],
  [
    'time',
    {
      options: {
        long: { format: 'f', output: 'o', append: 'a', verbose: 'v', portability: 'p' },
        values: ['f', 'o'],
      },
    },
  ],
  ['command', { options: {}, noRun: ['v', 'V'] }],
  ['builtin', { options: {} }],
  ['exec', { options: { values: ['a'] } }],
  ['stdbuf', { options: { long: { input: 'i', output: 'o', error: 'e' }, values: ['i', 'o', 'e'] } }],
  [
    'ionice',
    {
      options: {
        long: { class: 'c', classdata: 'n', pid: 'p', pgid: 'P', uid: 'u' },
        values: ['c', 'n', 'p', 'P', 'u'],
      },
      noRun: ['p', 'P', 'u'],
    },
  ],
  ['setsid', { options: {} }],
  ['chrt', { options: {}, operands: 1 }],
  ['taskset', { options: {}, operands: 1 }],
  // Wrappers beyond the ones Claude Code's own rules unwrap (anthropics/claude-code#92542).
  [
    'watch',
    {
      options: { long: { interval: 'n', differences: 'd' }, values: ['n', 'interval'] },
      joinsForShell: true,
    },
  ],
  [
    'flock',
    {
      options: {
        long: { command: 'c', timeout: 'w', wait: 'w', 'conflict-exit-code': 'E' },
        values: ['c', 'w', 'E'],
      },
      operands: 1,
      commandOption: 'c',
    },
  ],
  [
    'su',
    {
      options: { long: { command: 'c', login: 'l', shell: 's', group: 'g' }, values: ['c', 's', 'g', 'G'] },
      commandOption: 'c',
      noRun: [],
    },
  ],
  [
    'runuser',
    {
      options: { long: { command: 'c', user: 'u', group: 'g' }, values: ['c', 'u', 'g', 'G', 's'] },
      commandOption: 'c',
    },
  ],
  [
    'script',
    {
      options: { long: { command: 'c', quiet: 'q' }, values: ['c', 'E', 'T', 'B', 'I', 'O'] },
      commandOption: 'c',
    },
  ],
  ['pkexec', { options: { values: ['user'] } }],
  ['unbuffer', { options: {} }],
  // `busybox rm -rf /`: the applet named by the first operand.
  ['busybox', { options: {} }],
  // `coproc cmd args` runs cmd as a coprocess (bash manual, 3.2.6).
  ['coproc', { options: {} }],
  ['chronic', { options: {} }],
  ['caffeinate', { options: { values: ['t', 'w'] } }],
  ['strace', { options: { values: ['o', 'p', 'e', 's', 'u', 'E', 'P', 'I', 'a', 'b', 'X'] }, noRun: ['p'] }],
  [
    'ltrace',
    { options: { values: ['o', 'p', 'e', 's', 'u', 'n', 'a', 'l', 'x', 'L', 'A', 'D', 'F'] }, noRun: ['p'] },
  ],
  ['proxychains', { options: { values: ['f'] } }],
  ['proxychains4', { options: { values: ['f'] } }],
  ['torsocks', { options: { values: ['u', 'p', 'a', 'P'] } }],
  [
    'xvfb-run',
    {
      options: { values: ['n', 's', 'f', 'e', 'p', 'server-num', 'server-args', 'auth-file', 'error-file'] },
    },
  ],
  ['firejail', { options: {} }],
  [
    'systemd-run',
    {
      options: {
        short: { p: 'property', u: 'unit', E: 'setenv', M: 'machine', H: 'host' },
        values: [
          'property',
          'unit',
          'setenv',
          'machine',
          'host',
          'description',
          'slice',
          'uid',
          'gid',
          'nice',
          'working-directory',
          'on-calendar',
        ],
      },
    },
  ],
  ['dbus-run-session', { options: { values: ['config-file', 'dbus-daemon'] } }],
]);

/** Shells whose `-c STRING` runs STRING as a command line. */
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'fish']);

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The command's name as the shell finds it: `\rm`, `/bin/rm`, `./x` → `rm`, `rm`, `x`. */
export function baseName(value: string): string {
  const slash = value.lastIndexOf('/');
  return slash < 0 ? value : value.slice(slash + 1);
}

/** What looking through wrappers gives: the command to classify, or a string to parse as a command line. */
export type Unwrapped =
  | { kind: 'command'; words: Word[]; via: string[] }
  | { kind: 'reparse'; text: Word; via: string[] };

/** At most this many wrappers are looked through on one command (`nice nice nice …`); the rest is the command. */
const MAX_WRAPPERS = 32;

/**
 * Looks through wrappers, outermost first. `words` starts with the command's name; `via` is what was already
 * looked through (outer shells). Never throws.
 */
export function unwrap(words: Word[], via: string[]): Unwrapped {
  let current = words;
  const seen = [...via];
  for (let n = 0; n < MAX_WRAPPERS && current.length > 0; n++) {
    const head = current[0]!;
    if (head.dynamic) break;
    const name = baseName(head.value);
    const args = current.slice(1);
    if (name === 'eval') {
      if (args.length === 0) break;
      const text = args.map((w) => w.value).join(' ');
      return {
        kind: 'reparse',
        text: { value: text, dynamic: args.some((w) => w.dynamic) },
        via: [...seen, 'eval'],
      };
    }
    if (name === 'trap') {
      // `trap 'cmd' EXIT`: cmd runs when the signal comes, or when the shell exits (bash manual, 4.1).
      const operands = args[0]?.value === '--' ? args.slice(1) : args;
      const action = operands[0];
      if (
        !action ||
        operands.length < 2 ||
        action.value === '-' ||
        (!action.dynamic && /^-[lp]$/.test(action.value))
      )
        break;
      return { kind: 'reparse', text: action, via: [...seen, 'trap'] };
    }
    if (SHELLS.has(name)) {
      const script = shellCommandString(args);
      if (!script) break;
      return { kind: 'reparse', text: script, via: [...seen, `${name} -c`] };
    }
    const spec = WRAPPERS.get(name);
    if (!spec) break;
    const split = splitString(name, args);
    if (split) return { kind: 'reparse', text: split, via: [...seen, name] };
    const parsed = parseOptions(args, spec.options, true);
    if (spec.noRun?.some((f) => parsed.flags.has(f))) break;
    const given = spec.commandOption ? parsed.values.find(([n]) => n === spec.commandOption)?.[1] : undefined;
    if (given) return { kind: 'reparse', text: given, via: [...seen, name] };
    let rest = args.slice(parsed.rest);
    if (name === 'su' || name === 'runuser') {
      // `su user -c 'cmd'`: the user may come first, the -c after it.
      const after = parseOptions(rest.slice(1), spec.options);
      const command = after.values.find(([n]) => n === 'c')?.[1];
      if (command) return { kind: 'reparse', text: command, via: [...seen, name] };
      if (name === 'su') break;
    }
    if (name === 'env' && args.some((w) => w.value === '-' && !w.dynamic))
      rest = rest.filter((w) => w.value !== '-');
    if (spec.assignments) {
      let k = 0;
      while (k < rest.length && ASSIGNMENT.test(rest[k]!.value)) k++;
      rest = rest.slice(k);
    }
    rest = rest.slice(Math.min(spec.operands ?? 0, rest.length));
    if (rest.length === 0 && spec.defaultCommand) rest = [literal(spec.defaultCommand)];
    if (rest.length === 0) break;
    if (spec.joinsForShell) {
      const text = { value: rest.map((w) => w.value).join(' '), dynamic: rest.some((w) => w.dynamic) };
      return { kind: 'reparse', text, via: [...seen, name] };
    }
    seen.push(name);
    current = rest;
  }
  return { kind: 'command', words: current, via: seen };
}

/** `bash -c 'cmd' arg0 …`, `bash -lc 'cmd'`, `sh -e -c 'cmd'`: the command string, if the shell was given one. */
function shellCommandString(args: Word[]): Word | undefined {
  let hasC = false;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const v = w.value;
    if (w.dynamic) return hasC ? w : undefined;
    if (v === '--' || v === '-') return hasC ? args[i + 1] : undefined;
    if (v.startsWith('--')) continue;
    if ((v.startsWith('-') || v.startsWith('+')) && v.length > 1) {
      if (/[oO]/.test(v.slice(1)) && !v.slice(1).includes('c')) i++;
      if (v.startsWith('-') && v.includes('c')) hasC = true;
      continue;
    }
    return hasC ? w : undefined;
  }
  return undefined;
}

/** `env -S 'rm -rf /'` / `env --split-string=…`: env splits the string into the command's words. */
function splitString(name: string, args: Word[]): Word | undefined {
  if (name !== 'env') return undefined;
  for (let i = 0; i < args.length; i++) {
    const v = args[i]!.value;
    if (v === '-S' || v === '--split-string') {
      const rest = args.slice(i + 1);
      return rest.length
        ? { value: rest.map((w) => w.value).join(' '), dynamic: rest.some((w) => w.dynamic) }
        : undefined;
    }
    if (v.startsWith('--split-string=')) {
      return {
        value: [v.slice(15), ...args.slice(i + 1).map((w) => w.value)].join(' '),
        dynamic: args[i]!.dynamic,
      };
    }
    if (/^-[^-]*S/.test(v)) {
      const attached = v.slice(v.indexOf('S') + 1);
      const rest = args.slice(i + 1).map((w) => w.value);
      return { value: [attached, ...rest].filter(Boolean).join(' '), dynamic: args[i]!.dynamic };
    }
    if (!v.startsWith('-')) return undefined;
  }
  return undefined;
}
