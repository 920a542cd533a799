#!/usr/bin/env node
// Entry point for the `glassbox` command. The engine is TypeScript compiled to dist/ by `npm run build`
// (run automatically by `npm install` through the `prepare` script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'proxy', 'cli.js');
if (!existsSync(cli)) {
  console.error(
    'glassbox: the engine is not built yet. Run `npm install` (or `npm run build`) in the Glassbox checkout.',
  );
  process.exit(1);
}
// A file URL, not a path: Windows paths (C:\…) are not valid ESM specifiers.
const { main } = await import(pathToFileURL(cli).href);
await main(process.argv);
