/**
 * The file tool classifier (issue 17, point 1): Claude Code's file-writing tool calls into the paths they write.
 * Input field names as the installed claude CLI (@anthropic-ai/claude-code 2.1.330, sdk-tools.d.ts) defines
 * them: `Write` and `Edit` take `file_path` (FileWriteInput, FileEditInput), `NotebookEdit` takes
 * `notebook_path` (NotebookEditInput). `MultiEdit` has no input schema in that version (the CLI still names it
 * among its edit tools for permission rules); older versions gave it `file_path` plus `edits`, which is what
 * is read here.
 */
import { resolveToolPath } from './paths.js';
import type { FileFacts } from './types.js';

/** The path field of each file-writing tool. */
const PATH_FIELD: Readonly<Record<string, string>> = {
  Write: 'file_path',
  Edit: 'file_path',
  MultiEdit: 'file_path',
  NotebookEdit: 'notebook_path',
};

/**
 * The paths a `Write`, `Edit`, `MultiEdit` or `NotebookEdit` call writes, resolved against `context.cwd` (`~` →
 * `context.home`). Undefined for any other tool. A call whose path is missing, not a string, or relative with
 * no working directory gives `paths: []` (the tool itself would refuse it). Never throws.
 */
export function classifyFileTool(
  tool: string,
  input: unknown,
  context: { cwd?: string; home: string },
): FileFacts | undefined {
  if (!Object.hasOwn(PATH_FIELD, tool)) return undefined;
  const field = PATH_FIELD[tool]!;
  const value =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[field] : undefined;
  const resolved = typeof value === 'string' ? resolveToolPath(value, context.cwd, context.home) : undefined;
  return { tool, paths: resolved === undefined ? [] : [resolved] };
}
