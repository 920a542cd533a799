/**
 * Rewriting config.json from a command (`pg add`, `team join`): the raw JSON is edited (keys the command does
 * not know stay as the person wrote them), written to a temporary file and renamed over config.json, so a
 * running engine watching the file never reads half of it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { UserError } from './common/errors.js';
import { homePaths, loadConfig } from './config.js';

/**
 * Rewrites config.json (creating it, 0600) through `edit` on its raw JSON, atomically, then validates it.
 * @throws UserError when config.json is not valid JSON (nothing is written), or when the edited file does not
 *   validate (it is then written: the message names the field)
 */
export function editConfig(home: string, edit: (raw: Record<string, unknown>) => void): void {
  const file = homePaths(home).config;
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new UserError(`${file} is not valid JSON (${(error as Error).message}): fix it first.`);
    }
  }
  edit(raw);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
  loadConfig(home); // refuse nothing silently: a write that produced an invalid file fails loudly here
}
