import { describe, expect, it } from 'vitest';
import {
  fingerprintCredential,
  isCredentialName,
  redactHeaders,
  redactQuery,
} from '../../proxy/policy/credentials.js';

const SECRET = 'Zq8vK2mN4pR7sT1wX3yB5cD9fG6hJ0lE';

describe('credential names', () => {
  it('takes any header whose name says auth, token, key, secret, signature, password or cookie', () => {
    const credentials = [
      'x-api-key',
      'authorization',
      'proxy-authorization',
      'x-auth-token',
      'x-goog-api-key',
      'api-key',
      'apikey',
      'x-amz-security-token',
      'x-amz-signature',
      'x-hub-signature-256',
      'x-client-secret',
      'private-token',
      'x-csrf-token',
      'x-access-token',
      'x-password',
      'x-credentials',
      'cookie',
      'set-cookie',
      'X-Custom-Auth',
      'idempotency-key',
    ];
    const input = Object.fromEntries(credentials.map((name) => [name.toLowerCase(), SECRET]));
    const out = redactHeaders({ ...input, 'x-plain': 'visible' });
    expect(JSON.stringify(out)).not.toContain(SECRET.slice(0, 20));
    expect(out['x-plain']).toBe('visible');
    for (const name of credentials) expect(isCredentialName(name), name).toBe(true);
  });

  it('keeps headers that only look close: rate-limit token counts, keep-alive, session ids, versions', () => {
    for (const name of [
      'anthropic-ratelimit-tokens-remaining',
      'anthropic-ratelimit-input-tokens-limit',
      'keep-alive',
      'x-claude-code-session-id',
      'anthropic-version',
      'anthropic-beta',
      'content-type',
      'request-id',
      'user-agent',
      'x-stainless-retry-count',
    ]) {
      expect(isCredentialName(name), name).toBe(false);
    }
    expect(redactHeaders({ 'anthropic-ratelimit-tokens-remaining': '39000' })).toEqual({
      'anthropic-ratelimit-tokens-remaining': '39000',
    });
  });
});

describe('credentials in query strings', () => {
  it('replaces the values of credential parameters and keeps everything else as it was', () => {
    const path = `/v1/messages?beta=true&api_key=${SECRET}&key=${SECRET}x&access_token=${SECRET}y&X-Amz-Signature=${SECRET}z&sig=${SECRET}w&apiKey=${SECRET}v`;
    const redacted = redactQuery(path);
    expect(redacted).not.toContain(SECRET.slice(0, 20));
    expect(redacted).toMatch(
      /^\/v1\/messages\?beta=true&api_key=redacted:[0-9a-f]{12}&key=redacted:[0-9a-f]{12}&access_token=redacted:[0-9a-f]{12}&X-Amz-Signature=redacted:[0-9a-f]{12}&sig=redacted:[0-9a-f]{12}&apiKey=redacted:[0-9a-f]{12}$/,
    );
    // Equal values correlate; different ones do not.
    expect(redactQuery(`/a?key=${SECRET}`)).toBe(redactQuery(`/b?key=${SECRET}`).replace('/b', '/a'));
    expect(redactQuery(`/a?key=${SECRET}`)).not.toBe(redactQuery(`/a?key=${SECRET}1`));
  });

  it('leaves paths without credentials byte for byte, malformed escapes included', () => {
    for (const path of [
      '/v1/messages',
      '/v1/messages?beta=true',
      '/x?a=%E0%A4%A&b',
      '/x?&&=',
      '/x?tokens=5',
    ]) {
      expect(redactQuery(path)).toBe(path);
    }
    expect(redactQuery(`/x?%61pi_key=${SECRET}`)).toMatch(/^\/x\?%61pi_key=redacted:[0-9a-f]{12}$/);
  });
});

describe('fingerprints', () => {
  it('shows none of a Basic credential, whose last characters are the password', () => {
    const basic = `Basic ${Buffer.from('alice:correct-horse-battery-staple').toString('base64')}`;
    expect(fingerprintCredential(basic)).toMatch(/^Basic … #[0-9a-f]{12}$/);
    expect(fingerprintCredential(basic.toLowerCase())).toMatch(/^basic … #[0-9a-f]{12}$/);
  });
});
