/**
 * Anthropic-shaped error bodies (Anthropic API reference, "Errors"): `{"type":"error","error":{type,message}}`.
 * Clients and SDKs parse these, so errors Glassbox itself raises use the same shape and name Glassbox in
 * the message so a developer knows which hop failed.
 */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

/** Serialises an Anthropic-shaped error body whose message is prefixed with "Glassbox: ". */
export function glassboxErrorBody(type: AnthropicErrorType, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message: `Glassbox: ${message}` } });
}
