import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyFileTool } from '../../proxy/policy/guard/file-tools.js';

/** Claude Code's file-writing tools into the paths they write. */
const context = { cwd: '/home/dev/project', home: '/home/dev' };

describe('classifyFileTool', () => {
  it.each([
    ['Write', { file_path: '/home/dev/project/src/a.ts', content: 'x' }, ['/home/dev/project/src/a.ts']],
    ['Write', { file_path: '.env.local', content: 'SECRET=1' }, ['/home/dev/project/.env.local']],
    [
      'Write',
      { file_path: '~/.ssh/authorized_keys', content: 'ssh-ed25519 AAA' },
      ['/home/dev/.ssh/authorized_keys'],
    ],
    ['Edit', { file_path: '../other/x.ts', old_string: 'a', new_string: 'b' }, ['/home/dev/other/x.ts']],
    ['Edit', { file_path: '/etc//hosts/', old_string: 'a', new_string: 'b' }, ['/etc/hosts']],
    [
      'MultiEdit',
      { file_path: 'src/../b.ts', edits: [{ old_string: 'a', new_string: 'b' }] },
      ['/home/dev/project/b.ts'],
    ],
    [
      'NotebookEdit',
      { notebook_path: 'nb/analysis.ipynb', new_source: 'print(1)' },
      ['/home/dev/project/nb/analysis.ipynb'],
    ],
  ])('%s %j', (tool, input, paths) => {
    expect(classifyFileTool(tool, input, context)).toEqual({ tool, paths });
  });

  it('undefined for tools that do not write files', () => {
    for (const tool of [
      'Read',
      'Bash',
      'Glob',
      'Grep',
      'WebFetch',
      'write',
      'mcp__fs__write_file',
      'toString',
    ]) {
      expect(classifyFileTool(tool, { file_path: '/x' }, context)).toBeUndefined();
    }
  });

  it('bad input gives no paths, never a throw', () => {
    for (const input of [
      undefined,
      null,
      'x',
      42,
      [],
      {},
      { file_path: 7 },
      { notebook_path: '/x' },
      { file_path: '' },
    ]) {
      expect(classifyFileTool('Write', input, context)).toEqual({ tool: 'Write', paths: [] });
    }
    expect(classifyFileTool('NotebookEdit', { file_path: '/x' }, context)).toEqual({
      tool: 'NotebookEdit',
      paths: [],
    });
    expect(classifyFileTool('Write', { file_path: 'rel.txt' }, { home: '/home/dev' })).toEqual({
      tool: 'Write',
      paths: [],
    });
    expect(classifyFileTool('Write', { file_path: '/abs.txt' }, { home: '/home/dev' })).toEqual({
      tool: 'Write',
      paths: ['/abs.txt'],
    });
  });

  it('reads the path fields the installed claude CLI defines for these tools', () => {
    // The CLI's own declaration of its tool inputs (sdk-tools.d.ts of @anthropic-ai/claude-code).
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@anthropic-ai/claude-code/package.json');
    const schemas = readFileSync(join(dirname(pkg), 'sdk-tools.d.ts'), 'utf8');
    const field = (iface: string) => {
      const body = schemas.slice(schemas.indexOf(`export interface ${iface} {`));
      return body.slice(0, body.indexOf('\n}')).match(/^ {2}(\w+_path): string;/m)?.[1];
    };
    expect(field('FileWriteInput')).toBe('file_path');
    expect(field('FileEditInput')).toBe('file_path');
    expect(field('NotebookEditInput')).toBe('notebook_path');
    expect(classifyFileTool('Write', { [field('FileWriteInput')!]: '/w' }, context)?.paths).toEqual(['/w']);
    expect(classifyFileTool('Edit', { [field('FileEditInput')!]: '/e' }, context)?.paths).toEqual(['/e']);
    expect(classifyFileTool('NotebookEdit', { [field('NotebookEditInput')!]: '/n' }, context)?.paths).toEqual(
      ['/n'],
    );
  });
});
