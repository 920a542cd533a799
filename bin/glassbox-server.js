#!/usr/bin/env node
// Entry point for `glassbox-server`, the team server. TypeScript compiled to dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'server', 'cli.js');
if (!existsSync(cli)) {
  console.error(
    'glassbox-server: not built yet. Run `npm install` (or `npm run build`) in the Glassbox checkout.',
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
await main(process.argv);
