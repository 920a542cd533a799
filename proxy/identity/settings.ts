/**
 * The `identity` section of config.json: which OIDC provider signs people in (DESIGN.md, "Identity").
 *
 *     "identity": { "issuer": "https://login.example.com/realms/eng", "clientId": "glassbox",
 *                   "scopes": ["openid", "email", "profile", "offline_access"], "groupsClaim": "groups",
 *                   "audience": "https://glassbox.example.com", "required": false }
 */
import { z } from 'zod';

/** Scopes asked for when config.json names none (refresh tokens need offline_access). */
export const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'offline_access'] as const;

/** Host names an `http://` issuer may use: this machine only (local providers, tests). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * True when `value` is an issuer Glassbox may talk to: `https://` anywhere, `http://` on a loopback address
 * only, with no query or fragment (OpenID Connect Discovery 1.0 §2).
 */
export function isAllowedIssuer(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.search || url.hash || url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname.toLowerCase());
}

/** True when the issuer is plain http on loopback (openid-client then needs allowInsecureRequests). */
export function isLoopbackHttpIssuer(issuer: string): boolean {
  return new URL(issuer).protocol === 'http:';
}

/** The zod schema of the `identity` section; messages name the fix. */
export const IdentitySettingsSchema = z
  .object({
    issuer: z
      .string({ error: 'is required: the URL of your OIDC provider, e.g. https://login.example.com' })
      .refine(
        isAllowedIssuer,
        'must be an https:// URL (http:// only on 127.0.0.1, localhost or [::1]) without query or fragment',
      ),
    clientId: z.string({ error: 'is required: the client id your provider registered for Glassbox' }).min(1),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope is one word without spaces or quotes'))
      .min(1)
      .refine((scopes) => scopes.includes('openid'), 'must include "openid"')
      .default([...DEFAULT_SCOPES]),
    groupsClaim: z.string().min(1).default('groups'),
    audience: z.string().min(1).optional(),
    required: z.boolean().default(false),
  })
  .strict();
