/**
 * Shared set-up for the shell classifier's tests: one loaded classifier, a fixed working directory and home,
 * and `psql -f` files served from an in-memory map (absolute path → text).
 */
import { loadShellParser, ShellClassifier } from '../../proxy/policy/guard/shell.js';
import type { ShellCommandFacts, ShellFacts } from '../../proxy/policy/guard/types.js';

export const CWD = '/home/dev/project';
export const HOME = '/home/dev';

/** Loads the parser once per test file and returns a classify function with the fixed context (`cwd` null: none). */
export async function shellClassifier(
  files: Record<string, string> = {},
): Promise<(line: string, cwd?: string | null) => ShellFacts> {
  await loadShellParser();
  const classifier = new ShellClassifier();
  // `null` classifies with no working directory at all.
  return (line, cwd = CWD) =>
    classifier.classify(line, { cwd: cwd ?? undefined, home: HOME, readFile: (path) => files[path] });
}

/** The facts of the one command named `name` (fails the test when there is not exactly one). */
export function only(facts: ShellFacts, name: string): ShellCommandFacts {
  const found = facts.commands.filter((c) => c.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${name}, found ${found.length} in ${JSON.stringify(facts.commands)}`);
  }
  return found[0]!;
}

/** `name via[…] flags[…]` for compact assertions over a whole line. */
export function summary(facts: ShellFacts): string[] {
  return facts.commands.map((c) =>
    [c.name, c.via.length ? `via:${c.via.join(',')}` : '', c.flags.length ? `flags:${c.flags.join(',')}` : '']
      .filter(Boolean)
      .join(' '),
  );
}
