import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellFacts } from '../../proxy/policy/guard/types.js';
import { shellClassifier } from '../helpers/shell-guard.js';

/**
 * Quote removal checked against the real bash: for each argument string, bash itself prints the words it
 * would pass (`set -- ARGS; printf '%s\0' "$@"`), and the classifier's `args` must be the same words.
 */
let classify: (line: string) => ShellFacts;
beforeAll(async () => {
  classify = await shellClassifier();
});

function bashWords(args: string): string[] {
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', `set -- ${args}\nprintf '%s\\0' "$@"`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
  });
  return out.split('\0').slice(0, -1);
}

const ARGS = [
  `plain words here`,
  `'single quoted' "double quoted"`,
  `a\\ b c\\\\d \\'e\\"`,
  `'it'\\''s' "say \\"hi\\"" "back\\\\slash" "keep\\n" "\\$dollar" "\\\`tick"`,
  `$'tab\\there' $'nl\\nx' $'\\x41\\x42' $'\\101\\102' $'\\u00e9\\U0001F600' $'quote\\'s' $'\\cA'`,
  `$'bs\\\\' $'a\\\\\\'b\\\\' 'then' $'x'`,
  `pre'mid'"post"$'ansi' x'y'z`,
  `"multi\nline" 'also\nmulti' "join\\\nme" "tab\there"`,
  `continued \\\n  line`,
  `'' "" x`,
  `-rf --force=yes -- --not-an-option`,
  `"#not a comment" a#b`,
  `'{}' '\\;' \\;`,
  `"é ü 😀" 'ß'`,
];

describe('args as bash passes them', () => {
  it.each(ARGS)('%s', (args) => {
    const expected = bashWords(args);
    const facts = classify(`somecmd ${args}`);
    expect(facts.parseError).toBeUndefined();
    expect(facts.commands).toHaveLength(1);
    const { args: got, flags } = facts.commands[0]!;
    // Options are taken out of args by the option parser; compare the words it left as they came.
    const positional = expected.filter(
      (w, i) => !(w.startsWith('-') && w.length > 1 && !expected.slice(0, i).includes('--')),
    );
    expect(got).toEqual(positional.filter((w) => w !== '--'));
    if (args.startsWith('-rf')) expect(flags).toEqual(['f', 'force', 'r']);
  });
});
