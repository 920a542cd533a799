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
 * Why `value` is not an issuer Glassbox may talk to, as the fix to make; null when it is one: `https://`
 * anywhere, `http://` on a loopback address only, with no query, fragment or user name (OpenID Connect
 * Discovery 1.0 §2: the issuer is an https URL with no query or fragment; RFC 8252 §8.3 for loopback).
 */
export function issuerProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be a URL such as https://login.example.com (got "${value}")`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `must start with https:// (got ${value})`;
  }
  if (url.search || url.hash || url.username || url.password) {
    return (
      'must have no query, fragment or user name: use exactly the "issuer" value of your provider\'s ' +
      '/.well-known/openid-configuration'
    );
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) {
    const https = `https://${value.slice('http://'.length)}`;
    return `http:// is allowed only on 127.0.0.1, localhost or [::1]: use ${https}`;
  }
  return null;
}

/** True when `value` is an issuer Glassbox may talk to ({@link issuerProblem} finds nothing). */
export function isAllowedIssuer(value: string): boolean {
  return issuerProblem(value) === null;
}

/**
 * True when two issuer identifiers name the same issuer, ignoring trailing slashes: config.json may say
 * `https://login.example.com/` for a provider whose tokens carry `iss: "https://login.example.com"` (discovery
 * accepts both, as a URL's root path is "/"). The one comparison of configured and token issuers.
 */
export function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** True when the issuer is plain http on loopback (openid-client then needs allowInsecureRequests). */
export function isLoopbackHttpIssuer(issuer: string): boolean {
  return new URL(issuer).protocol === 'http:';
}

/** The keys of the `identity` section, for the message about an unknown one. */
const KEYS = 'issuer, clientId, scopes, groupsClaim, audience, required';

const CLIENT_ID_REQUIRED = 'is required: the client id your provider registered for Glassbox';

/** The zod schema of the `identity` section; messages name the fix. */
export const IdentitySettingsSchema = z
  .object(
    {
      issuer: z
        .string({ error: 'is required: the URL of your OIDC provider, e.g. https://login.example.com' })
        .superRefine((value, ctx) => {
          const problem = issuerProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      clientId: z.string({ error: CLIENT_ID_REQUIRED }).min(1, CLIENT_ID_REQUIRED),
      scopes: z
        .array(
          z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope is one word without spaces or quotes'),
        )
        .min(1, `must list at least "openid", e.g. ${JSON.stringify(DEFAULT_SCOPES).replaceAll(',', ', ')}`)
        .refine(
          (scopes) => scopes.includes('openid'),
          `must include "openid" (sign-in is OpenID Connect), e.g. ${JSON.stringify(DEFAULT_SCOPES).replaceAll(',', ', ')}`,
        )
        .default([...DEFAULT_SCOPES]),
      groupsClaim: z
        .string()
        .min(1, 'must name the ID token claim holding groups, e.g. "groups"')
        .default('groups'),
      audience: z.string().min(1, 'must be the API identifier (resource) your provider expects').optional(),
      required: z.boolean().default(false),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}: the identity section knows ${KEYS}`
          : undefined,
    },
  )
  .strict();
