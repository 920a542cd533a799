/**
 * Request bodies of the control API's writing routes: JSON only, size-capped. A JSON content type cannot be
 * sent cross-origin without a CORS preflight, which the engine never allows, so a foreign page cannot post
 * here even before the Origin and token guards (server.ts) refuse it.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './guards.js';

/**
 * Reads a request's body as JSON.
 * @param maxBytes the largest body accepted, bytes
 * @returns the parsed value (any JSON value: the caller checks its shape)
 * @throws ApiError 415 when the content type is not application/json, 413 when the body is over `maxBytes`
 *   (the rest is read and dropped), 400 when it is not valid JSON
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw tooLarge(maxBytes);
  }
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        chunks.length = 0;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'bad_body', 'the body is not valid JSON');
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'too_large', `the body is over ${maxBytes.toLocaleString('en-US')} bytes`);
}
