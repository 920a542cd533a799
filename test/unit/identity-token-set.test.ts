import type { TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client';
import { describe, expect, it } from 'vitest';
import { IdentityError } from '../../proxy/identity/errors.js';
import { claimsFrom, MAX_GROUPS, tokenSetFromResponse } from '../../proxy/identity/token-set.js';

const SETTINGS = { issuer: 'https://idp.example', clientId: 'glassbox', groupsClaim: 'groups' };

/** A token response as openid-client hands it over (its helpers over validated ID token claims). */
function response(idToken: string | undefined, claims: Record<string, unknown> | undefined) {
  return {
    access_token: `at-${idToken ?? 'none'}`,
    token_type: 'bearer',
    ...(idToken ? { id_token: idToken } : {}),
    refresh_token: 'rt-next',
    claims: () => claims,
    expiresIn: () => 300,
  } as unknown as TokenEndpointResponse & TokenEndpointResponseHelpers;
}

describe('the person from an ID token', () => {
  it('keeps at most MAX_GROUPS groups of at most 256 characters, so a huge claim does not fill every session', () => {
    const many = Array.from({ length: 5_000 }, (_, i) => `group-${i}`);
    const claims = claimsFrom(
      { iss: SETTINGS.issuer, sub: 'alice', groups: [...many, 'x'.repeat(10_000)] },
      'groups',
    );
    expect(claims.groups).toHaveLength(MAX_GROUPS);
    expect(claims.groups[0]).toBe('group-0');
    expect(claims.groups.every((g) => g.length <= 256)).toBe(true);
  });

  it('refuses a refreshed ID token that names another person or issuer (OIDC Core §12.2)', () => {
    const first = tokenSetFromResponse(response('id-1', { iss: SETTINGS.issuer, sub: 'alice' }), SETTINGS);
    const same = tokenSetFromResponse(
      response('id-2', { iss: SETTINGS.issuer, sub: 'alice' }),
      SETTINGS,
      first,
    );
    expect(same.claims.subject).toBe('alice');
    const other = () =>
      tokenSetFromResponse(response('id-3', { iss: SETTINGS.issuer, sub: 'mallory' }), SETTINGS, first);
    expect(other).toThrow(IdentityError);
    expect(other).toThrow(/another person/);
    const elsewhere = () =>
      tokenSetFromResponse(response('id-4', { iss: 'https://other.example', sub: 'alice' }), SETTINGS, first);
    expect(elsewhere).toThrow(/another person/);
    // No new ID token in the refresh answer: the previous person stands.
    expect(tokenSetFromResponse(response(undefined, undefined), SETTINGS, first).claims.subject).toBe(
      'alice',
    );
  });
});
