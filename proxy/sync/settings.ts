/**
 * config.json's `team` section: the team server this engine mirrors its sessions to (issue 19). Written by
 * `glassbox team join URL` from the server's `/v1/info`; absent: no mirroring, no routed approvals, no team
 * policy.
 *
 *   "team": { "url": "https://glassbox.example.com", "token": "access_token", "mirror": true }
 */
import { z } from 'zod';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why `value` cannot be a team server URL, or null when it can (https; http only on loopback). */
export function teamUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be a URL such as https://glassbox.example.com (got "${value}")`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must start with https:// (got ${value})`;
  if (url.search || url.hash || url.username || url.password)
    return 'must have no query, fragment or user name';
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname.toLowerCase()))
    return `http:// is allowed only on 127.0.0.1, localhost or [::1]: use https://${value.slice('http://'.length)}`;
  return null;
}

/** The zod schema of the `team` section. */
export const TeamSettingsSchema = z
  .object({
    /** The team server's base URL (no trailing slash needed). */
    url: z
      .string({ error: 'is required: the team server URL, e.g. https://glassbox.example.com' })
      .superRefine((value, ctx) => {
        const problem = teamUrlProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** Which token the server wants (its /v1/info `token`): the access token, or the ID token. */
    token: z.enum(['access_token', 'id_token']).default('access_token'),
    /** Mirror every session to the server (default true). */
    mirror: z.boolean().default(true),
  })
  .strict();

/** The `team` section after defaults. */
export type TeamSettings = z.infer<typeof TeamSettingsSchema>;

/** The URL without trailing slashes, to append `/v1/…` to. */
export function teamBaseUrl(settings: Pick<TeamSettings, 'url'>): string {
  return settings.url.replace(/\/+$/, '');
}
