/**
 * The sign-in routes (issue 18): `GET /api/identity` (who is signed in, for the dashboard's header and the
 * tray), `POST /api/identity/login` (the engine starts a browser sign-in and answers with the URL to open)
 * and `POST /api/identity/logout`. The server runs its guards (Host, Origin, bearer token) first, for POST
 * as for GET, so a foreign page can neither read who is signed in nor sign anyone out. No answer ever holds
 * a token: the state is the non-secret {@link SignInState} (claims, expiry, the token's fingerprint).
 */
import type { IncomingMessage } from 'node:http';
import { IdentityError, type IdentityErrorCode } from '../../identity/errors.js';
import type {
  IdentityControl,
  IdentityLoginResponse,
  IdentityResponse,
  SignInState,
} from '../../identity/types.js';
import { ApiError } from '../guards.js';

/** The command that signs in (again), as the answers' `hint` names it. */
export const SIGN_IN_COMMAND = 'glassbox login';

/** True for the paths {@link identityRoute} answers. */
export function isIdentityPath(path: string): boolean {
  return path === '/api/identity' || path.startsWith('/api/identity/');
}

/**
 * The control API's view of the sign-in: whether it is configured (and required), the state, and what to
 * run while not signed in (null when signed in, or when sign-in is not configured).
 */
export function identityResponse(control: Pick<IdentityControl, 'settings' | 'source'>): IdentityResponse {
  const state = control.source.state();
  const { settings } = control;
  return {
    configured: settings !== null,
    issuer: settings?.issuer ?? null,
    required: settings?.required ?? false,
    state,
    hint: settings && state.status !== 'signed-in' ? SIGN_IN_COMMAND : null,
  };
}

/** What /api/health says of the sign-in: enough for a status line, never a token. */
export function identityHealth(control: Pick<IdentityControl, 'settings' | 'source'>): {
  configured: boolean;
  required: boolean;
  status: SignInState['status'];
} {
  const { settings, source } = control;
  return {
    configured: settings !== null,
    required: settings?.required ?? false,
    status: source.state().status,
  };
}

/**
 * Handles one guarded request to an {@link isIdentityPath} path. A POST's body, if any, is ignored.
 * @returns the JSON answer (status 200): {@link IdentityResponse} for GET and logout,
 *   {@link IdentityLoginResponse} for login
 * @throws ApiError 404 unknown path, 405 wrong method; for a failed sign-in start, 409 `not_configured`
 *   (no `identity` section in config.json), 502 `identity_provider` (the provider cannot be reached or is no
 *   issuer), 500 otherwise, each with the failure's sentence
 */
export async function identityRoute(
  req: IncomingMessage,
  url: URL,
  control: IdentityControl,
): Promise<IdentityResponse | IdentityLoginResponse> {
  const path = url.pathname;
  const action = path === '/api/identity' ? 'read' : /^\/api\/identity\/(login|logout)$/.exec(path)?.[1];
  if (!action) throw new ApiError(404, 'not_found', `no route ${path}`);
  const wanted = action === 'read' ? ['GET', 'HEAD'] : ['POST'];
  if (!wanted.includes(req.method ?? '')) {
    throw new ApiError(405, 'method_not_allowed', `${req.method} is not supported on ${path}`);
  }
  if (action === 'read') return identityResponse(control);
  req.resume();
  try {
    if (action === 'login') return await control.beginBrowserLogin();
    await control.logout();
    return identityResponse(control);
  } catch (error) {
    throw signInFailure(error);
  }
}

/** HTTP status of each sign-in failure the control API can meet. */
const STATUS: Partial<Record<IdentityErrorCode, [number, string]>> = {
  'not-configured': [409, 'not_configured'],
  unreachable: [502, 'identity_provider'],
  'not-an-issuer': [502, 'identity_provider'],
  refused: [502, 'identity_provider'],
  timeout: [504, 'identity_provider'],
  store: [500, 'token_store'],
};

function signInFailure(error: unknown): unknown {
  if (error instanceof ApiError || !(error instanceof IdentityError)) return error;
  const [status, code] = STATUS[error.code] ?? [500, 'sign_in_failed'];
  return new ApiError(status, code, error.message, { reason: error.code });
}
