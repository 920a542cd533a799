#!/usr/bin/env node
// Entry point for the `glassbox` command. The engine is TypeScript compiled to dist/ by `npm run build`
// (run automatically by `npm install` through the `prepare` script).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'proxy');
const cli = join(dist, 'cli.js');
const args = process.argv.slice(2);
// Claude Code runs `glassbox hook claude-code` before every tool call it matches: start only what it needs.
const hook =
  args[0] === 'hook' && args[1] === 'claude-code' && !args.includes('--help') && !args.includes('-h');
if (hook && !existsSync(cli)) {
  // Any exit but 0 would let the tool call proceed: refuse it in Claude Code's decision JSON instead.
  const reason =
    'Glassbox: the glassbox command is not built (run `npm run build`), so this tool call is refused';
  const decision = {
    hookEventName: 'PreToolUse',
    permissionDecision: 'deny',
    permissionDecisionReason: reason,
  };
  process.stdout.write(`${JSON.stringify({ hookSpecificOutput: decision })}\n`);
  process.exit(0);
}
if (hook) {
  const { hookCommandMain } = await import(pathToFileURL(join(dist, 'cli', 'hook-claude-code.js')).href);
  await hookCommandMain(args.slice(2));
  process.exit(process.exitCode ?? 0);
}
if (!existsSync(cli)) {
  console.error(
    'glassbox: the engine is not built yet. Run `npm install` (or `npm run build`) in the Glassbox checkout.',
  );
  process.exit(1);
}
// A file URL, not a path: Windows paths (C:\…) are not valid ESM specifiers.
const { main } = await import(pathToFileURL(cli).href);
await main(process.argv);
