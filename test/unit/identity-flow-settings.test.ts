import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { homePaths, loadConfig } from '../../proxy/config.js';
import { useStoreHome } from '../helpers/files.js';

/** The message loadConfig throws for config.json's identity section `identity`. */
function problem(home: string, identity: unknown): string {
  writeFileSync(homePaths(home).config, JSON.stringify({ identity }));
  try {
    loadConfig(home);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted the section');
}

describe('config.json identity section: messages that name the fix', () => {
  const paths = useStoreHome('gb-idset-');

  it('a non-http scheme says the issuer must be https://', () => {
    const message = problem(paths().home, { issuer: 'ftp://login.example.com', clientId: 'glassbox' });
    expect(message).toContain('identity.issuer');
    expect(message).toMatch(/must start with https:\/\/ \(got ftp:\/\/login\.example\.com\)/);
  });

  it('http:// on a non-loopback host proposes the https:// URL', () => {
    const message = problem(paths().home, { issuer: 'http://login.example.com/realms/eng', clientId: 'g' });
    expect(message).toContain('identity.issuer');
    expect(message).toContain('http:// is allowed only on 127.0.0.1, localhost or [::1]');
    expect(message).toContain('use https://login.example.com/realms/eng');
  });

  it('http:// on loopback is accepted', () => {
    writeFileSync(
      homePaths(paths().home).config,
      JSON.stringify({ identity: { issuer: 'http://127.0.0.1:8080', clientId: 'g' } }),
    );
    expect(loadConfig(paths().home).identity?.scopes).toEqual([
      'openid',
      'email',
      'profile',
      'offline_access',
    ]);
  });

  it('not a URL says what one looks like', () => {
    const message = problem(paths().home, { issuer: 'login.example.com', clientId: 'g' });
    expect(message).toMatch(/identity\.issuer: must be a URL such as https:\/\/login\.example\.com/);
  });

  it('a missing clientId says where it comes from', () => {
    const message = problem(paths().home, { issuer: 'https://login.example.com' });
    expect(message).toContain('identity.clientId: is required: the client id your provider registered');
  });

  it('an empty clientId says the same, not a length rule', () => {
    const message = problem(paths().home, { issuer: 'https://login.example.com', clientId: '' });
    expect(message).toContain('identity.clientId: is required: the client id your provider registered');
  });

  it('scopes without openid say to add it, with the default list', () => {
    const message = problem(paths().home, {
      issuer: 'https://login.example.com',
      clientId: 'g',
      scopes: ['email', 'profile'],
    });
    expect(message).toContain('identity.scopes: must include "openid"');
    expect(message).toContain('["openid", "email", "profile", "offline_access"]');
  });

  it('a misspelt key names the keys the section knows', () => {
    const message = problem(paths().home, { issuer: 'https://login.example.com', clientID: 'g' });
    expect(message).toMatch(/clientID/);
    expect(message).toContain('issuer, clientId, scopes, groupsClaim, audience, required');
  });
});
