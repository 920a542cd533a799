import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectOutput, type ProcessOutput } from './process.js';

/** The built `glassbox` entry (npm test builds before running the suite). */
export const GLASSBOX_BIN = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'glassbox.js');

/** Result of a finished CLI run. */
export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `glassbox ...args` to completion with `GLASSBOX_HOME=home`; `input` is written to its stdin (a pipe). */
export function runCli(home: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): CliResult {
  const result = spawnSync(process.execPath, [GLASSBOX_BIN, ...args], {
    env: { ...process.env, GLASSBOX_HOME: home, ...env },
    encoding: 'utf8',
    timeout: 30_000,
    ...(input !== undefined ? { input } : {}),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs `glassbox ...args` asynchronously (for tests whose engine runs in this process, which a synchronous
 * child would stall) with `GLASSBOX_HOME=home`; `input` goes to its stdin.
 */
export function runCliAsync(
  home: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  input = '',
): Promise<ProcessOutput> {
  const child = spawn(process.execPath, [GLASSBOX_BIN, ...args], {
    env: { ...process.env, GLASSBOX_HOME: home, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  child.stdin?.end(input);
  return collectOutput(child);
}

/** A `glassbox serve` child process and the addresses it printed. */
export interface ServeProcess {
  child: ChildProcess;
  anthropicUrl: string;
  dashboardUrl: string;
  /** Everything printed on stdout so far. */
  output: () => string;
  /** Everything printed on stderr so far (warnings, for a failing test's message). */
  errors: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

/**
 * Starts `glassbox serve` with free ports and waits until it says it is ready. `options.umask` runs it under
 * that file-mode creation mask (through `sh -c 'umask …; exec …'`) instead of this process's.
 */
export async function spawnServe(
  home: string,
  upstream: string,
  extraArgs: string[] = [],
  options: { umask?: number } = {},
): Promise<ServeProcess> {
  const command = [
    process.execPath,
    GLASSBOX_BIN,
    'serve',
    '--anthropic-port',
    '0',
    '--api-port',
    '0',
    '--anthropic-upstream',
    upstream,
    ...extraArgs,
  ];
  const [file, ...args] =
    options.umask === undefined
      ? command
      : ['/bin/sh', '-c', `umask ${options.umask.toString(8).padStart(3, '0')}; exec "$@"`, 'sh', ...command];
  const child = spawn(file!, args, {
    env: { ...process.env, GLASSBOX_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const deadline = Date.now() + 20_000;
  while (!stdout.includes('Press Ctrl+C')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`glassbox serve did not start:\n${stdout}\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const anthropicUrl = /Anthropic proxy\s+(http:\/\/\S+)/.exec(stdout)?.[1] ?? '';
  const dashboardUrl = /Dashboard\s+(http:\/\/\S+)/.exec(stdout)?.[1] ?? '';
  return { child, anthropicUrl, dashboardUrl, output: () => stdout, errors: () => stderr, exited };
}

/** Polls `check` every 20 ms until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => T | undefined | null | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
