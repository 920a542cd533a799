/**
 * How commands talk to the running engine (`glassbox approvals`, `approve`, `deny`; the Claude Code hook may
 * use it too): its control API's address from the runtime file it writes in $GLASSBOX_HOME (engine.json,
 * the ports it really listens on), never the configured port, and the bearer token from the token file.
 */
import { readFileSync } from 'node:fs';
import { describeError, UserError } from '../common/errors.js';
import { homePaths } from '../config.js';
import { runningEngine } from '../lock.js';
import { readRuntime } from '../runtime-file.js';
import { cliCommand } from './env.js';

/** Why a request to the engine failed, with its HTTP status and the API's error code and fields. */
export class EngineApiError extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message, 1);
    this.name = 'EngineApiError';
  }
}

/** A running engine's control API. */
export interface EngineClient {
  apiUrl: string;
  pid: number;
  /**
   * Sends a request and returns the parsed JSON answer.
   * @throws EngineApiError for a non-2xx answer (its message is the API's); UserError when the engine
   *   cannot be reached or answers no JSON
   */
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
}

/** How long one request waits for the engine, ms (a long-poll names its own). */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The engine running on `home`.
 * @throws UserError saying what to do when no engine runs there, or it has not said where it listens
 */
export function connectToEngine(home: string, timeoutMs = REQUEST_TIMEOUT_MS): EngineClient {
  const paths = homePaths(home);
  const pid = runningEngine(paths.lock);
  if (pid === undefined) {
    throw new UserError(
      `no Glassbox engine is running for ${home}. Start it with \`${cliCommand()} serve\` (or open the Glassbox app), then run this again.`,
      1,
    );
  }
  const runtime = readRuntime(paths.runtime);
  if (runtime?.pid !== pid) {
    throw new UserError(
      `the engine (pid ${pid}) has not written ${paths.runtime} yet: it is starting, or older than this glassbox. Try again in a moment, or restart it.`,
      1,
    );
  }
  let token: string;
  try {
    token = readFileSync(paths.token, 'utf8').trim();
  } catch (error) {
    throw new UserError(`cannot read the engine's token ${paths.token}: ${describeError(error)}`, 1);
  }
  const apiUrl = runtime.apiUrl;
  return {
    apiUrl,
    pid,
    call: async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
      let response: Response;
      try {
        response = await fetch(`${apiUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause ?? error;
        throw new UserError(
          `could not reach the engine (pid ${pid}) at ${apiUrl}: ${describeError(cause)}`,
          1,
        );
      }
      let answer: unknown;
      try {
        answer = await response.json();
      } catch {
        throw new UserError(`the engine at ${apiUrl} answered ${response.status} without JSON`, 1);
      }
      if (response.ok) return answer as T;
      const {
        code = 'error',
        message = `HTTP ${response.status}`,
        ...details
      } = (answer as { error?: { code?: string; message?: string } }).error ?? {};
      throw new EngineApiError(message, response.status, code, details);
    },
  };
}
