/**
 * `GET /api/recording` and `POST /api/recording`: read and flip the engine's recording switch (pause /
 * resume). The server runs its guards (Host, Origin, bearer token) before handing the request here, for
 * POST exactly as for GET, so a foreign page cannot pause recording (CSRF) and nobody without the token can.
 */
import type { IncomingMessage } from 'node:http';
import type { RecordingState, RecordingSwitch } from '../policy/recording-switch.js';
import type { Identity } from '../store/types.js';
import { ApiError } from './guards.js';
import type { RecordingResponse } from './types.js';

export type { RecordingResponse };

/** The path this module answers. */
export const RECORDING_PATH = '/api/recording';

/** Body of POST /api/recording. `via` names the client (`tray`, `dashboard`, …); `reason` is optional. */
export interface RecordingRequest {
  recording: boolean;
  via?: string;
  reason?: string;
}

const MAX_BODY_BYTES = 4096;

/**
 * Handles a guarded request to {@link RECORDING_PATH}.
 * @returns the JSON answer (status 200)
 * `identity` is the engine's identity now (the signed-in person, else its OS user): whose name a pause or
 * resume is recorded under.
 * @throws ApiError 405 for other methods, 415 for a non-JSON body, 413 when over 4 KiB, 400 for a bad body
 */
export async function recordingRoute(
  req: IncomingMessage,
  recording: RecordingSwitch,
  identity: () => Identity,
): Promise<RecordingResponse> {
  if (req.method === 'GET' || req.method === 'HEAD') return describe(recording.current());
  if (req.method !== 'POST') throw new ApiError(405, 'method_not_allowed', `${req.method} is not supported`);
  // A JSON content type cannot be sent cross-origin without a CORS preflight, which the engine never allows.
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  const body = parseRequest(await readBody(req));
  const actor = {
    identity: identity(),
    via: body.via ?? 'api',
    ...(body.reason ? { reason: body.reason } : {}),
  };
  return describe(body.recording ? recording.resume(actor) : recording.pause(actor));
}

function describe(state: RecordingState): RecordingResponse {
  const message = state.paused
    ? `Recording is paused (by ${state.paused.by} via ${state.paused.via}): traffic still flows through Glassbox but is NOT recorded.`
    : 'Recording is on: all traffic through Glassbox is recorded.';
  return { ...state, message };
}

function parseRequest(text: string): RecordingRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_body', 'the body is not valid JSON');
  }
  const body = value as Partial<Record<keyof RecordingRequest, unknown>> | null;
  if (typeof body !== 'object' || body === null || typeof body.recording !== 'boolean') {
    throw new ApiError(
      400,
      'bad_body',
      'expected {"recording": true|false, "via"?: string, "reason"?: string}',
    );
  }
  const via = optionalText(body.via, 'via', 64);
  const reason = optionalText(body.reason, 'reason', 500);
  return {
    recording: body.recording,
    ...(via !== undefined ? { via } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

function optionalText(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw new ApiError(400, 'bad_body', `"${name}" must be a string of at most ${max} characters`);
  }
  return value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, 'too_large', `the body is over ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
