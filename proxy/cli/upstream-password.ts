import { UserError } from '../common/errors.js';
import type { UpstreamUrl } from '../postgres/connections.js';
import { passwordFilePath, passwordFromFile } from '../postgres/pgpass.js';
import { type PromptTerminal, promptHidden } from './hidden-prompt.js';

/** Where `glassbox pg add` took the upstream password from, and the password (undefined: none). */
export interface PasswordChoice {
  password: string | undefined;
  /** For the user: e.g. "the URL", "PGPASSWORD", "/home/me/.pgpass", "the prompt", "standard input". */
  from: string | null;
}

/** What the password may come from besides the URL. */
export interface PasswordSources {
  /** `--upstream-password-stdin`: read it from standard input. */
  fromStdin: boolean;
  env: NodeJS.ProcessEnv;
  stdin: PromptTerminal['input'];
  /** Where the prompt and warnings go (standard error). */
  stderr: NodeJS.WritableStream;
}

/**
 * The upstream password for `glassbox pg add`, in libpq's order (PostgreSQL docs, 34.1.2 "Parameter Key
 * Words", 34.15 "Environment Variables", 34.16 "The Password File"): the URL's; else standard input with
 * `--upstream-password-stdin` (one line; a final newline is dropped); else a non-empty `PGPASSWORD`; else the
 * first matching line of the password file; else, when standard input is a terminal, a prompt that does not
 * echo (Enter alone: no password); else none.
 * @throws UserError for a password both in the URL and on stdin, or nothing on stdin
 */
export async function choosePassword(url: UpstreamUrl, sources: PasswordSources): Promise<PasswordChoice> {
  if (url.password !== undefined) {
    if (sources.fromStdin) {
      throw new UserError(
        'the --upstream URL has a password and --upstream-password-stdin was given: give it once',
      );
    }
    return { password: url.password, from: 'the URL' };
  }
  if (sources.fromStdin) {
    const text = await readAll(sources.stdin);
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new UserError('--upstream-password-stdin: standard input held no password');
    return { password, from: 'standard input' };
  }
  if (sources.env.PGPASSWORD) return { password: sources.env.PGPASSWORD, from: 'PGPASSWORD' };
  const hit = passwordFromFile(
    passwordFilePath(sources.env),
    { host: url.host, port: String(url.port), database: url.database, user: url.user },
    (warning) => sources.stderr.write(`${warning}\n`),
  );
  if (hit) return { password: hit.password, from: hit.file };
  if (sources.stdin.isTTY) {
    const where = `${url.user}@${url.host}:${url.port}/${url.database}`;
    const password = await promptHidden(`Upstream password for ${where} (Enter for none): `, {
      input: sources.stdin,
      output: sources.stderr,
    });
    return password === '' ? { password: undefined, from: null } : { password, from: 'the prompt' };
  }
  return { password: undefined, from: null };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
