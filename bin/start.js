#!/usr/bin/env node
// `npm start`: the desktop app where it can open, else the engine headless (see main/launch.ts). Built to
// dist/ by `npm run build` (run automatically by `npm install` through the `prepare` script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const launch = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main', 'launch.js');
if (!existsSync(launch)) {
  console.error('glassbox: not built yet. Run `npm install` (or `npm run build`) in the Glassbox checkout.');
  process.exit(1);
}
// A file URL, not a path: Windows paths (C:\…) are not valid ESM specifiers.
await import(pathToFileURL(launch).href);
