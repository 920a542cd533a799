/**
 * What `glassbox team join URL` does before and after sign-in, apart from the command line: read the
 * server's `GET /v1/info` (proxy/sync/protocol.ts {@link ServerInfo}), fold it into config.json's `team` and
 * `identity` sections, and check that the server accepts the signed-in person's token.
 */
import { randomUUID } from 'node:crypto';
import { UserError } from '../common/errors.js';
import { glassboxVersion } from '../common/version.js';
import { sameIssuer } from '../identity/settings.js';
import { bearerHeaders, errorFields, fetchFailure, readJson, readText } from './http.js';
import { PROTOCOL_VERSION, type ServerInfo, ServerInfoSchema } from './protocol.js';
import { teamBaseUrl, teamUrlProblem } from './settings.js';

/** How long `/v1/info` and the token check may take, ms. */
export const JOIN_REQUEST_TIMEOUT_MS = 15_000;

/**
 * Reads and checks the server's `GET /v1/info`.
 * @param url the team server's base URL as the person typed it (https://, http:// on loopback only)
 * @throws UserError (exit 2) naming the cause: a URL that cannot be a team server, a server that cannot be
 *   reached (with the system error), an answer that is not a Glassbox team server's, a protocol version this
 *   glassbox does not speak (saying which side to upgrade)
 */
export async function fetchServerInfo(url: string, timeoutMs = JOIN_REQUEST_TIMEOUT_MS): Promise<ServerInfo> {
  const problem = teamUrlProblem(url);
  if (problem) throw new UserError(`The team server URL ${problem}.`);
  const infoUrl = `${teamBaseUrl({ url })}/v1/info`;
  let response: Response;
  try {
    response = await fetch(infoUrl, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new UserError(
      `Cannot reach the team server at ${url} (${fetchFailure(error)}): check the URL and that the server is running.`,
    );
  }
  const notOurs = (what: string) =>
    new UserError(
      `${url} does not look like a Glassbox team server: GET /v1/info ${what}. Check the URL (the address of ` +
        'glassbox-server, not of its dashboard or your identity provider).',
    );
  const text = (await readText(response)) ?? '';
  if (!response.ok) throw notOurs(`answered HTTP ${response.status}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw notOurs('did not answer JSON');
  }
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (fields.name !== 'glassbox-server') throw notOurs('answered JSON without "name": "glassbox-server"');
  if (fields.protocol !== PROTOCOL_VERSION) {
    const theirs = typeof fields.protocol === 'number' ? `v${fields.protocol}` : 'an unknown version';
    const version = typeof fields.version === 'string' ? ` ${fields.version}` : '';
    const upgrade =
      typeof fields.protocol === 'number' && fields.protocol > PROTOCOL_VERSION
        ? 'upgrade glassbox on this machine'
        : 'ask whoever runs the team server to upgrade it';
    throw new UserError(
      `The team server at ${url} (glassbox-server${version}) speaks team protocol ${theirs}, and this glassbox ` +
        `(${glassboxVersion()}) speaks v${PROTOCOL_VERSION}: ${upgrade}.`,
    );
  }
  const parsed = ServerInfoSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw notOurs(
      `answered an incomplete description (${issue?.path.join('.') || 'body'}: ${issue?.message})`,
    );
  }
  return parsed.data;
}

/** What {@link applyJoin} changed in config.json, for the person. */
export interface JoinChanges {
  /** True when config.json's content changed (false on a re-run with the same server). */
  changed: boolean;
  /** True when the identity section's issuer, client id or audience changed: a sign-in is needed. */
  identityChanged: boolean;
  /** Sentences to print as warnings (an issuer replaced, what happens to the sign-in). */
  warnings: string[];
}

/**
 * Folds the server's description into config.json's raw JSON (edited in place, for editConfig): `team` gets
 * `url` and `token` (its `mirror` stays as it was); `identity` gets `issuer`, `clientId` and — when the server
 * wants access tokens — `audience`; the person's other identity settings (scopes, required, …) stay. A new
 * identity section also takes the server's groups claim. Idempotent: the same input gives the same file.
 */
export function applyJoin(raw: Record<string, unknown>, url: string, info: ServerInfo): JoinChanges {
  const before = JSON.stringify(raw);
  const warnings: string[] = [];
  const team = objectAt(raw, 'team');
  raw.team = { ...team, url: teamBaseUrl({ url }), token: info.token };
  const had = objectAt(raw, 'identity');
  const identity: Record<string, unknown> = { ...had, issuer: info.issuer, clientId: info.clientId };
  if (info.token === 'access_token') identity.audience = info.audience;
  if (!('issuer' in had) && !('groupsClaim' in had)) identity.groupsClaim = info.groupsClaim;
  const oldIssuer = typeof had.issuer === 'string' ? had.issuer : null;
  if (oldIssuer && !sameIssuer(oldIssuer, info.issuer)) {
    warnings.push(
      `config.json's identity.issuer was ${oldIssuer}; the team server trusts ${info.issuer}, so it now says ` +
        `${info.issuer}. A sign-in at ${oldIssuer} no longer counts: new sessions are recorded as not signed ` +
        `in until you sign in at ${info.issuer}.`,
    );
  }
  raw.identity = identity;
  const identityChanged =
    oldIssuer === null ||
    !sameIssuer(oldIssuer, info.issuer) ||
    had.clientId !== info.clientId ||
    (info.token === 'access_token' && had.audience !== info.audience);
  return { changed: JSON.stringify(raw) !== before, identityChanged, warnings };
}

/**
 * Asks the server whether it accepts `bearer`: `GET /v1/sessions/<random>/head` answers 404 for a token it
 * accepts (no such session) and 401 for one it does not.
 * @returns null when accepted, else the server's reason (one line)
 * @throws UserError when the server cannot be reached or answers something else
 */
export async function serverRefusal(
  url: string,
  bearer: string,
  timeoutMs = JOIN_REQUEST_TIMEOUT_MS,
): Promise<string | null> {
  const probe = `join-check-${randomUUID()}`;
  let response: Response;
  try {
    response = await fetch(`${teamBaseUrl({ url })}/v1/sessions/${probe}/head`, {
      headers: bearerHeaders(bearer, { accept: 'application/json' }),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new UserError(
      `Cannot reach the team server at ${url} to check your sign-in (${fetchFailure(error)}).`,
    );
  }
  const body = errorFields(await readJson(response));
  if (response.status === 404) return null;
  const message = body.message ?? `HTTP ${response.status}`;
  if (response.status === 401 || response.status === 403) return message;
  throw new UserError(`The team server at ${url} could not check your sign-in: ${message}.`);
}

function objectAt(raw: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = raw[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
