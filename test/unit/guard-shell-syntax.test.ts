import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_INPUT_CHARS } from '../../proxy/policy/guard/shell.js';
import type { ShellFacts } from '../../proxy/policy/guard/types.js';
import { only, shellClassifier } from '../helpers/shell-guard.js';

/** Quoting, here-documents, comments, line continuations, bad input and the bounds on work. */
let classify: (line: string, cwd?: string | null) => ShellFacts;
beforeAll(async () => {
  classify = await shellClassifier();
});

describe('quote removal', () => {
  it.each([
    ["rm 'a b'", ['a b']],
    ['rm "a b"', ['a b']],
    ['rm a\\ b', ['a b']],
    ["rm 'it'\\''s'", ["it's"]],
    ['rm "say \\"hi\\"" "\\$HOME" "a\\b"', ['say "hi"', '$HOME', 'a\\b']],
    ["rm $'a\\tb' $'\\x41\\102\\u00e9' $'it\\'s'", ['a\tb', 'ABé', "it's"]],
    ['rm pre\'mid\'"post"', ['premidpost']],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
    ['rm "$X" "${Y}/z" "a$(date)"', ['$X', '${Y}/z', 'a$(date)']],
  ])('%s', (line, args) => {
    expect(only(classify(line), 'rm').args).toEqual(args);
  });

  it('quoted and ANSI-C-quoted command names and flags', () => {
    expect(only(classify("$'\\x72m' -rf x"), 'rm').flags).toEqual(['force', 'recursive']);
    expect(only(classify('"rm" "-r" "-f" x'), 'rm').flags).toEqual(['force', 'recursive']);
    expect(only(classify("r''m -rf x"), 'rm').flags).toEqual(['force', 'recursive']);
  });

  it('keywords inside quotes are not commands', () => {
    const facts = classify('echo "rm -rf / ; sudo reboot" \'$(rm x)\'');
    expect(facts.commands.map((c) => c.name)).toEqual(['echo']);
    expect(facts.commands[0]!.args).toEqual(['rm -rf / ; sudo reboot', '$(rm x)']);
  });
});

describe('here-documents, comments, continuations', () => {
  it('a here-document body is data, unless unquoted and it substitutes', () => {
    expect(classify("cat <<'EOF' > f.sh\nrm -rf /\n$(reboot)\nEOF").commands.map((c) => c.name)).toEqual([
      'cat',
    ]);
    expect(classify('cat <<-EOF\n\trm -rf /\nEOF').commands.map((c) => c.name)).toEqual(['cat']);
    expect(classify('cat <<EOF\n`reboot`\nEOF\nls').commands.map((c) => c.name)).toEqual([
      'reboot',
      'cat',
      'ls',
    ]);
  });

  it('comments are not commands', () => {
    const facts = classify('# rm -rf /\nls # && rm -rf /\necho a#b');
    expect(facts.commands.map((c) => c.name)).toEqual(['ls', 'echo']);
    expect(facts.commands[1]!.args).toEqual(['a#b']);
  });

  it('line continuations join a command', () => {
    const rm = only(classify('rm \\\n  -r \\\n  -f \\\n  /x'), 'rm');
    expect(rm.flags).toEqual(['force', 'recursive']);
    expect(rm.paths).toEqual(['/x']);
  });

  it('a Claude Code style multi-line command with a here-doc commit message', () => {
    const line = [
      "git add -A && git commit -m \"$(cat <<'EOF'",
      'Fix: rm -rf handling',
      '',
      'Co-Authored-By: Claude <noreply@anthropic.com>',
      'EOF',
      ')" && git push --force origin main',
    ].join('\n');
    const facts = classify(line);
    expect(facts.commands.map((c) => `${c.name} ${c.subcommands.join(' ')}`.trim())).toEqual([
      'git add',
      'cat',
      'git commit',
      'git push',
    ]);
    expect(facts.commands[3]!.flags).toEqual(['force']);
    expect(facts.parseError).toBeUndefined();
  });
});

describe('bad input: parseError, commands found so far kept, never a throw', () => {
  it.each([
    ['rm -rf x; (', ['rm']],
    ['rm -rf x && ', ['rm']],
    ['echo "unterminated', ['echo']],
    ["ls; echo 'open", ['ls', 'echo']],
    ['if then fi', []],
    [')))(((', []],
    ['bash -c "rm -rf x; ("', ['rm']],
  ])('%j', (line, names) => {
    const facts = classify(line);
    expect(facts.parseError).toMatch(/syntax error|missing/);
    for (const name of names) expect(facts.commands.map((c) => c.name)).toContain(name);
  });

  it.each([
    ["echo $'a\\\\' ; rm -rf / #'", ['echo', 'rm']],
    ["echo $'a\\\\'; rm -rf /x; echo 'y'", ['echo', 'rm', 'echo']],
    ["echo $'a\\\\\\'b\\\\' ; rm -rf / #'", ['echo', 'rm']],
    ["bash -c \"echo $'a\\\\\\\\' ; rm -rf / #'\"", ['echo', 'rm']],
  ])("$'…\\\\' ends where bash ends it, though tree-sitter-bash reads on: %s", (line, names) => {
    const facts = classify(line);
    expect(facts.commands.map((c) => c.name)).toEqual(names);
    expect(facts.commands[0]!.args[0]).toMatch(/^a\\/);
    expect(only(facts, 'rm').flags).toEqual(['force', 'recursive']);
    expect(facts.parseError).toBeUndefined();
  });

  it.each([
    ["cat <<'EOF'; rm -rf /t\nhello\nEOF", ['cat', 'rm']],
    ["cat <<'EOF' > f; sudo rm -rf /t\nhello\nEOF", ['cat', 'rm']],
    ["cat <<'EOF' | tail; rm -rf /t\nhello\nEOF", ['cat', 'tail', 'rm']],
    ["cat <<'EOF' 2>&1 | tail -5; rm -rf /t\nhello\nEOF", ['cat', 'tail', 'rm']],
  ])('commands after `;` on a here-document line are kept (tree-sitter-bash#346): %j', (line, names) => {
    const facts = classify(line);
    expect(facts.commands.map((c) => c.name)).toEqual(names);
    const rm = only(facts, 'rm');
    expect(rm.flags).toEqual(['force', 'recursive']);
    expect(rm.paths).toEqual(['/t']);
    expect(facts.parseError).toMatch(/syntax error/);
  });

  it('says where, and inside which command string', () => {
    expect(classify('ls &&\n&& rm').parseError).toMatch(/line 2/);
    expect(classify('bash -c "ls; ("').parseError).toMatch(/inside bash -c/);
  });

  it('garbage, control characters and odd Unicode', () => {
    for (const line of [
      '\u0000\u0001\u0002',
      '💥 -rf /',
      '\uFFFF\uD800',
      '$(((((',
      '`',
      '"',
      "'",
      '\\',
      '',
    ]) {
      const facts = classify(line);
      expect(Array.isArray(facts.commands)).toBe(true);
    }
    expect(only(classify('💥 -rf /'), '💥').flags).toEqual(['f', 'r']);
    expect(classify('').commands).toEqual([]);
  });
});

describe('bounded work', () => {
  it('a line longer than the limit is cut, and says so', () => {
    const line = `rm -rf /a; ${'echo x; '.repeat(MAX_INPUT_CHARS / 8)}rm -rf /late`;
    const facts = classify(line);
    expect(facts.parseError).toMatch(/longer than/);
    expect(facts.commands[0]!.paths).toEqual(['/a']);
    expect(facts.commands.some((c) => c.paths.includes('/late'))).toBe(false);
  });

  it('too many commands: the first ones are listed, and it says so', () => {
    const facts = classify('true;'.repeat(5000));
    expect(facts.commands.length).toBe(1000);
    expect(facts.parseError).toMatch(/more than 1000 commands/);
  });

  it('deep nesting of subshells and substitutions stops with a reason', () => {
    const deep = `${'('.repeat(3000)}rm -rf /${')'.repeat(3000)}`;
    const facts = classify(deep);
    expect(facts.parseError).toMatch(/nested deeper than/);
    const subst = `echo ${'$('.repeat(2000)}x${')'.repeat(2000)}`;
    expect(classify(subst).parseError).toMatch(/nested deeper than/);
  });

  it('find -exec and docker exec hops count as nesting', () => {
    const docker = classify(`${'docker exec c '.repeat(50)}rm -rf /`);
    expect(docker.commands.length).toBe(9);
    expect(docker.parseError).toMatch(/nested deeper than 8/);
    const find = classify(`${'find . -exec '.repeat(50)}rm -rf / ${'\\; '.repeat(50)}`);
    expect(find.commands.length).toBe(9);
    expect(find.parseError).toMatch(/nested deeper than 8/);
  });

  it('a long but ordinary line is classified whole', () => {
    const line = Array.from({ length: 300 }, (_, i) => `rm -f /tmp/f${i}`).join(' && ');
    const facts = classify(line);
    expect(facts.commands.length).toBe(300);
    expect(facts.parseError).toBeUndefined();
  });
});
