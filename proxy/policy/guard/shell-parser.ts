/**
 * Loading tree-sitter-bash: the real shell grammar (tree-sitter-bash's bundled WebAssembly build) run by
 * web-tree-sitter. Loading is asynchronous (the Wasm runtime and the grammar are compiled once per process);
 * parsing afterwards is synchronous, which is what lets the shell classifier answer without awaiting.
 */
import { createRequire } from 'node:module';
import { Language, Parser } from 'web-tree-sitter';

/**
 * The process's one loaded bash grammar. This is the module's only mutable state, on purpose: web-tree-sitter's
 * runtime (`Parser.init`) is itself process-global, and compiling the grammar more than once would only cost
 * memory. It is written once, by `loadShellParser`, and never changed afterwards.
 */
const loaded: { language?: Language; loading?: Promise<void> } = {};

/**
 * Loads web-tree-sitter's runtime and tree-sitter-bash's grammar (`tree-sitter-bash/tree-sitter-bash.wasm`).
 * Idempotent: later calls return the first call's promise. An engine component calls it at start.
 * @throws (rejects) when the Wasm files cannot be found or compiled (a broken install).
 */
export function loadShellParser(): Promise<void> {
  if (!loaded.loading) {
    loaded.loading = (async () => {
      const require = createRequire(import.meta.url);
      await Parser.init();
      loaded.language = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
    })();
    loaded.loading.catch(() => {
      loaded.loading = undefined;
    });
  }
  return loaded.loading;
}

/**
 * A new parser for the loaded bash grammar (a parser holds Wasm memory: call `delete()` when done with it).
 * @throws Error when `loadShellParser()` has not finished: a programming error, not bad input.
 */
export function newShellParser(): Parser {
  if (!loaded.language) throw new Error('the shell parser is not loaded: await loadShellParser() first');
  const parser = new Parser();
  parser.setLanguage(loaded.language);
  return parser;
}
