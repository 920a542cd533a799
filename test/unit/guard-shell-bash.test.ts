import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellFacts } from '../../proxy/policy/guard/types.js';
import { shellCorpus } from '../bench/policy-classify-shell.js';
import { shellClassifier } from '../helpers/shell-guard.js';

/**
 * Checked against the real bash, which runs nothing here. Quote removal: for each argument string, bash itself
 * prints the words it would pass. Commands: bash parses each line as a function body and prints it back in its
 * own canonical spelling (`declare -f`); the classifier must find the same commands, flags and paths in both,
 * so a line the grammar misreads (where bash's spelling differs) shows up.
 *
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

/** bash's own parse of `line`, printed back: the body of `f() { line }` as `declare -f` shows it. */
function bashCanonical(line: string): string {
  const out = execFileSync(
    'bash',
    ['--norc', '--noprofile', '-c', 'eval "f() {\n$1\n}" && declare -f f', '_', line],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
    },
  );
  return out.split('\n').slice(2, -2).join('\n');
}

const TRICKY = [
  "echo $'a\\\\' ; rm -rf / #'",
  "echo $'it\\'s' ; rm -rf /x",
  "cat <<'EOF'\nrm -rf /\nEOF\nrm -rf /after",
  'cat <<EOF\n`reboot`\n$(id)\nEOF\nls',
  'x=$(rm a) y=`rm b` z',
  '(cd /tmp && make) && rm -rf build',
  'for f in *; do rm "$f"; done; case $1 in a) rm a;; *) rm b;; esac',
  'f() { rm -rf /; }; f',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
  'echo ${X:-$(rm x)} $((1 + $(rm y))) {a,b}$(rm q)',
  'diff <(ls a) >(tee b); exec 3< <(curl x)',
  'r\'\'m -rf x; \\rm -rf y; "r"m -rf z',
  'echo "multi\nline" \'x\' |& tee log',
  'select x in a b; do rm $x; done; until false; do rm x; done',
  "trap 'rm -rf /tmp/x' EXIT; declare -x V=$(rm v); a=(1 $(rm y) 3)",
];

describe('commands as bash parses them', () => {
  const summary = (facts: ShellFacts) => facts.commands.map((c) => `${c.name}[${c.flags}]${c.paths}`);
  it.each([...shellCorpus(), ...TRICKY])('%j', (line) => {
    const ours = classify(line);
    expect(summary(classify(bashCanonical(line)))).toEqual(summary(ours));
  });
});
