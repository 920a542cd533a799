import { hostname, userInfo } from 'node:os';
import type { Identity } from '../store/types.js';

/**
 * The identity of the person running the engine as the operating system knows it. Unverified: OIDC login
 * (a later addition) replaces subject, email and groups and sets `verified`.
 */
export function localIdentity(): Identity {
  let osUser = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  try {
    osUser = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the environment's name.
  }
  return { subject: null, email: null, groups: [], verified: false, os_user: osUser, host: hostname() };
}
