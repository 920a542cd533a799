import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellFacts } from '../../proxy/policy/guard/types.js';
import { fuzzSeeds, type Rng, withSeedSync } from '../helpers/fuzz.js';
import { shellClassifier } from '../helpers/shell-guard.js';

/**
 * Fuzzing the shell classifier with lines built from shell's own pieces (words, quotes, operators,
 * substitutions, here-documents, wrappers, odd characters): it never throws, its facts are well formed, and a
 * line that parses cleanly gives the same commands when wrapped in `bash -c '…'` or `sudo` (looked through).
 */
let classify: (line: string) => ShellFacts;
beforeAll(async () => {
  classify = await shellClassifier();
});

const WORDS = [
  'rm',
  'git',
  'push',
  '-rf',
  '-f',
  '--force',
  '/',
  '~/x',
  '../y',
  'x',
  '$HOME',
  '*.log',
  'psql',
  '-c',
];
const HEADS = ['rm', 'git', 'psql', 'curl', 'find', 'x', '/bin/rm', '\\rm', 'kubectl', '$CMD'];
const PIECES = [
  ' ',
  ' ',
  ' ',
  ';',
  '&&',
  '||',
  '|',
  '&',
  '\n',
  '(',
  ')',
  '{ ',
  '; }',
  '$(',
  '`',
  '"',
  "'",
  "$'",
  '\\',
  '<<EOF\n',
  '\nEOF\n',
  '<<<',
  '>',
  '2>&1',
  '<(',
  '#',
  '=',
  'sudo ',
  'env X=1 ',
  'bash -c ',
  'xargs ',
  'find . -exec ',
  ' \\;',
  'é',
  '😀',
  '\u0000',
  '\t',
  '${',
  '}',
  '$((',
  '))',
  '!',
  '[[ ',
  ' ]]',
  'if ',
  ' then ',
  ' fi',
  'for i in a; do ',
  ' done',
];

function messyLine(rng: Rng): string {
  let out = '';
  const n = rng.int(1, 40);
  for (let i = 0; i < n; i++) out += rng.chance(0.5) ? rng.pick(WORDS) : rng.pick(PIECES);
  return out;
}

function cleanLine(rng: Rng): string {
  const commands = Array.from({ length: rng.int(1, 4) }, () =>
    [rng.pick(HEADS), ...Array.from({ length: rng.int(0, 4) }, () => rng.pick(WORDS))].join(' '),
  );
  return commands.map((c, i) => (i === 0 ? c : `${rng.pick([';', '&&', '||', '|'])} ${c}`)).join(' ');
}

function wellFormed(facts: ShellFacts): void {
  expect(Array.isArray(facts.commands)).toBe(true);
  for (const c of facts.commands) {
    expect(typeof c.name).toBe('string');
    expect([...new Set(c.flags)].sort()).toEqual(c.flags);
    for (const p of [...c.paths, ...(c.writes ?? [])]) expect(p.startsWith('/')).toBe(true);
    for (const v of c.via) expect(typeof v).toBe('string');
    expect(typeof c.pipedFromDownload).toBe('boolean');
  }
  for (const s of facts.sql) expect(typeof s).toBe('string');
}

describe('shell classifier fuzz', () => {
  it.each(fuzzSeeds(0x5e11, 300))('messy line, seed %i: never throws, facts well formed', (seed) => {
    withSeedSync(seed, 'messy', (rng) => wellFormed(classify(messyLine(rng))));
  });

  it.each(fuzzSeeds(0xc1ea, 200))('clean line, seed %i: same commands through bash -c and sudo', (seed) => {
    withSeedSync(seed, 'clean', (rng) => {
      const line = cleanLine(rng);
      const plain = classify(line);
      if (plain.parseError) return;
      const names = plain.commands.map((c) => [c.name, c.flags, c.paths]);
      const viaBash = classify(`bash -c '${line}'`);
      expect(viaBash.commands.map((c) => [c.name, c.flags, c.paths])).toEqual(names);
      for (const c of viaBash.commands) expect(c.via[0]).toBe('bash -c');
      const first = plain.commands[0];
      if (!first || first.via.length > 0 || line.startsWith('-')) return;
      const viaSudo = classify(`sudo ${line}`);
      expect(viaSudo.commands[0]?.name).toBe(first.name);
      expect(viaSudo.commands[0]?.via).toEqual(['sudo']);
    });
  });
});
