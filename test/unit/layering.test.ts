/**
 * The import rules of DESIGN.md ("Layout"), checked over the source tree as it is: server/ imports from proxy/
 * only through proxy/sync/*; proxy/ never imports server/, main/, renderer/ or electron; renderer/ imports
 * from proxy/ with `import type` only. Reads every .ts/.tsx file's import and export-from statements as text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every .ts/.tsx file under `dir` (relative to the repository), skipping node_modules and dist. */
function sources(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(path);
    }
  };
  walk(join(ROOT, dir));
  return found;
}

/** One import of a file: what it names (resolved to a repository path when relative) and whether type-only. */
interface Import {
  file: string;
  target: string;
  typeOnly: boolean;
}

/** The static imports, `export … from` and dynamic `import()` of `file`. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const pattern =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of text.matchAll(pattern)) {
    const specifier = match[3] ?? match[4]!;
    const target = specifier.startsWith('.')
      ? relative(ROOT, resolve(join(file, '..'), specifier))
      : specifier;
    found.push({ file: relative(ROOT, file), target, typeOnly: match[2] !== undefined });
  }
  return found;
}

const describeImport = (i: Import) => `${i.file} → ${i.target}`;

describe('layering (DESIGN.md, Layout)', () => {
  it('server/ imports from proxy/ only through proxy/sync/', () => {
    const wrong = sources('server')
      .flatMap(importsOf)
      .filter((i) => i.target.startsWith('proxy/') && !i.target.startsWith('proxy/sync/'));
    expect(wrong.map(describeImport)).toEqual([]);
  });

  it('proxy/ never imports server/, main/, renderer/ or electron', () => {
    const wrong = sources('proxy')
      .flatMap(importsOf)
      .filter((i) => /^(server|main|renderer)\//.test(i.target) || /^electron(\/|$)/.test(i.target));
    expect(wrong.map(describeImport)).toEqual([]);
  });

  it('renderer/ imports from proxy/ with `import type` only', () => {
    const wrong = sources('renderer/src')
      .flatMap(importsOf)
      .filter((i) => i.target.startsWith('proxy/') && !i.typeOnly);
    expect(wrong.map(describeImport)).toEqual([]);
  });

  it('sees the imports it checks (the rules would pass vacuously otherwise)', () => {
    const server = sources('server').flatMap(importsOf);
    expect(server.some((i) => i.target.startsWith('proxy/sync/'))).toBe(true);
    const renderer = sources('renderer/src').flatMap(importsOf);
    expect(renderer.some((i) => i.target.startsWith('proxy/') && i.typeOnly)).toBe(true);
  });
});
