import { createHash, createHmac, pbkdf2Sync, randomBytes, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5PasswordResponse } from '../../proxy/postgres/md5-password.js';
import {
  formatScramVerifier,
  makeScramCredentials,
  parseScramVerifier,
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  type ScramCredentials,
  ScramError,
} from '../../proxy/postgres/scram.js';
import { ScramClient } from '../../proxy/postgres/scram-client.js';
import { ScramServer } from '../../proxy/postgres/scram-server.js';
import { tlsServerEndPoint } from '../../proxy/postgres/tls-server-end-point.js';

// RFC 7677 section 3 test vector.
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const SALT_B64 = 'W22ZaJ0SNY7soEsUEjb6gQ==';
const CLIENT_FIRST = `n,,n=user,r=${CLIENT_NONCE}`;
const SERVER_FIRST = `r=${CLIENT_NONCE}${SERVER_NONCE},s=${SALT_B64},i=4096`;
const CLIENT_FINAL = `c=biws,r=${CLIENT_NONCE}${SERVER_NONCE},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`;
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

const BINDING_A = { type: 'tls-server-end-point' as const, data: Buffer.from('certificate hash A') };
const BINDING_B = { type: 'tls-server-end-point' as const, data: Buffer.from('certificate hash B') };

function scramError(fn: () => unknown): ScramError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ScramError);
    return error as ScramError;
  }
  throw new Error('expected a ScramError, nothing was thrown');
}

function expectReason(fn: () => unknown, reason: string): void {
  expect(scramError(fn).reason).toBe(reason);
}

/** Runs a whole exchange; returns the mechanism the client chose. */
function exchange(client: ScramClient, server: ScramServer, offered: readonly string[]): string {
  const mechanism = client.chooseMechanism(offered);
  const serverFirst = server.clientFirst(mechanism, client.clientFirst());
  client.verifyServerFinal(server.clientFinal(client.clientFinal(serverFirst)));
  return mechanism;
}

/** StoredKey computed independently from the raw UTF-8 bytes of a password (no SASLprep). */
function rawStoredKey(password: string, salt: Buffer, iterations = 4096): Buffer {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  return createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest();
}

const CREDENTIALS = makeScramCredentials('correct horse', { iterations: 64 });

describe('SCRAM-SHA-256 RFC 7677 test vector', () => {
  it('client produces the RFC client-first, client-final and accepts the server signature', () => {
    const client = new ScramClient('pencil', { nonce: CLIENT_NONCE, user: 'user' });
    expect(client.chooseMechanism([SCRAM_SHA_256])).toBe(SCRAM_SHA_256);
    expect(client.clientFirst().toString()).toBe(CLIENT_FIRST);
    expect(client.clientFinal(Buffer.from(SERVER_FIRST)).toString()).toBe(CLIENT_FINAL);
    expect(() => client.verifyServerFinal(Buffer.from(SERVER_FINAL))).not.toThrow();
  });

  it('server produces the RFC server-first and server-final', () => {
    const credentials = makeScramCredentials('pencil', {
      salt: Buffer.from(SALT_B64, 'base64'),
      iterations: 4096,
    });
    const server = new ScramServer(credentials, { nonce: SERVER_NONCE });
    expect(server.clientFirst(SCRAM_SHA_256, Buffer.from(CLIENT_FIRST)).toString()).toBe(SERVER_FIRST);
    expect(server.clientFinal(Buffer.from(CLIENT_FINAL)).toString()).toBe(SERVER_FINAL);
  });

  it('client sends an empty user name by default, as libpq does', () => {
    const first = new ScramClient('pencil', { nonce: CLIENT_NONCE }).clientFirst().toString();
    expect(first).toBe(`n,,n=,r=${CLIENT_NONCE}`);
    const escaped = new ScramClient('x', { nonce: 'abc', user: 'a=b,c' }).clientFirst().toString();
    expect(escaped).toBe('n,,n=a=3Db=2Cc,r=abc');
  });
});

describe('ScramClient against ScramServer', () => {
  it('completes a round trip with random nonces', () => {
    const client = new ScramClient('correct horse', { user: 'agent' });
    expect(exchange(client, new ScramServer(CREDENTIALS), [SCRAM_SHA_256])).toBe(SCRAM_SHA_256);
  });

  it('completes a SCRAM-SHA-256-PLUS round trip with matching channel binding', () => {
    const client = new ScramClient('correct horse', { channelBinding: BINDING_A });
    const server = new ScramServer(CREDENTIALS, { channelBinding: BINDING_A });
    expect(exchange(client, server, [SCRAM_SHA_256_PLUS, SCRAM_SHA_256])).toBe(SCRAM_SHA_256_PLUS);
  });

  it('rejects a wrong password on the server with invalid-proof', () => {
    const client = new ScramClient('wrong horse');
    expectReason(() => exchange(client, new ScramServer(CREDENTIALS), [SCRAM_SHA_256]), 'invalid-proof');
  });

  it('rejects a tampered proof', () => {
    const client = new ScramClient('correct horse');
    const server = new ScramServer(CREDENTIALS);
    const final = client.clientFinal(server.clientFirst(SCRAM_SHA_256, client.clientFirst())).toString();
    const proof = Buffer.from(final.slice(final.indexOf(',p=') + 3), 'base64');
    proof[0] = (proof[0] ?? 0) ^ 1;
    const tampered = `${final.slice(0, final.indexOf(',p='))},p=${proof.toString('base64')}`;
    expectReason(() => server.clientFinal(Buffer.from(tampered)), 'invalid-proof');
  });

  it('rejects a tampered nonce in client-final', () => {
    const client = new ScramClient('correct horse');
    const server = new ScramServer(CREDENTIALS);
    const final = client.clientFinal(server.clientFirst(SCRAM_SHA_256, client.clientFirst())).toString();
    expectReason(() => server.clientFinal(Buffer.from(final.replace(',r=', ',r=X'))), 'nonce-mismatch');
  });

  it('client rejects a server nonce that does not extend its own', () => {
    const forged = (nonce: string) => Buffer.from(`r=${nonce},s=${SALT_B64},i=4096`);
    for (const nonce of ['XXXX', CLIENT_NONCE, `x${CLIENT_NONCE}abc`]) {
      const client = new ScramClient('pencil', { nonce: CLIENT_NONCE });
      client.clientFirst();
      expectReason(() => client.clientFinal(forged(nonce)), 'nonce-mismatch');
    }
  });

  it('client rejects a forged server signature and reports e= server errors', () => {
    const client = new ScramClient('pencil', { nonce: CLIENT_NONCE, user: 'user' });
    client.clientFirst();
    client.clientFinal(Buffer.from(SERVER_FIRST));
    expectReason(
      () => client.verifyServerFinal(Buffer.from(`v=${Buffer.alloc(32).toString('base64')}`)),
      'invalid-server-signature',
    );
    const other = new ScramClient('pencil', { nonce: CLIENT_NONCE, user: 'user' });
    other.clientFirst();
    other.clientFinal(Buffer.from(SERVER_FIRST));
    const error = scramError(() => other.verifyServerFinal(Buffer.from('e=invalid-proof')));
    expect(error.reason).toBe('server-error');
    expect(error.message).toContain('invalid-proof');
  });

  it('client refuses absurd iteration counts', () => {
    for (const [iterations, reason] of [
      ['0', 'iteration-count'],
      ['10000001', 'iteration-count'],
      ['-1', 'malformed'],
      ['1e3', 'malformed'],
    ] as const) {
      const client = new ScramClient('pencil', { nonce: CLIENT_NONCE });
      client.clientFirst();
      const serverFirst = `r=${CLIENT_NONCE}abc,s=${SALT_B64},i=${iterations}`;
      expectReason(() => client.clientFinal(Buffer.from(serverFirst)), reason);
    }
  });

  it('enforces call order', () => {
    const client = new ScramClient('pencil');
    expectReason(() => client.clientFinal(Buffer.from(SERVER_FIRST)), 'invalid-state');
    expectReason(() => new ScramServer(CREDENTIALS).clientFinal(Buffer.from(CLIENT_FINAL)), 'invalid-state');
    const server = new ScramServer(CREDENTIALS);
    server.clientFirst(SCRAM_SHA_256, Buffer.from(CLIENT_FIRST));
    expectReason(() => server.clientFirst(SCRAM_SHA_256, Buffer.from(CLIENT_FIRST)), 'invalid-state');
  });
});

describe('channel binding', () => {
  it('chooses PLUS only when it is offered and binding data was given', () => {
    const both = [SCRAM_SHA_256_PLUS, SCRAM_SHA_256];
    expect(new ScramClient('p').chooseMechanism(both)).toBe(SCRAM_SHA_256);
    expect(new ScramClient('p', { channelBinding: BINDING_A }).chooseMechanism(both)).toBe(
      SCRAM_SHA_256_PLUS,
    );
    expect(new ScramClient('p', { channelBinding: BINDING_A }).chooseMechanism([SCRAM_SHA_256])).toBe(
      SCRAM_SHA_256,
    );
    expectReason(() => new ScramClient('p').chooseMechanism([SCRAM_SHA_256_PLUS]), 'unsupported-mechanism');
    expectReason(() => new ScramClient('p').chooseMechanism([]), 'unsupported-mechanism');
  });

  it('sends the gs2 header matching the choice: p=, y or n', () => {
    const header = (client: ScramClient, offered: string[]) => {
      client.chooseMechanism(offered);
      return client.clientFirst().toString().split(',n=')[0];
    };
    const both = [SCRAM_SHA_256_PLUS, SCRAM_SHA_256];
    expect(header(new ScramClient('p', { channelBinding: BINDING_A }), both)).toBe('p=tls-server-end-point,');
    expect(header(new ScramClient('p', { channelBinding: BINDING_A }), [SCRAM_SHA_256])).toBe('y,');
    expect(header(new ScramClient('p'), both)).toBe('n,');
  });

  it('rejects mismatched channel binding data', () => {
    const client = new ScramClient('correct horse', { channelBinding: BINDING_A });
    const server = new ScramServer(CREDENTIALS, { channelBinding: BINDING_B });
    expectReason(() => exchange(client, server, [SCRAM_SHA_256_PLUS, SCRAM_SHA_256]), 'channel-binding');
  });

  it('rejects a downgrade: client says "y" to a server that can bind', () => {
    const client = new ScramClient('correct horse', { channelBinding: BINDING_A });
    const server = new ScramServer(CREDENTIALS, { channelBinding: BINDING_A });
    expectReason(() => exchange(client, server, [SCRAM_SHA_256]), 'channel-binding');
  });

  it('accepts a client without binding support on a binding-capable server', () => {
    const server = new ScramServer(CREDENTIALS, { channelBinding: BINDING_A });
    expect(exchange(new ScramClient('correct horse'), server, [SCRAM_SHA_256_PLUS, SCRAM_SHA_256])).toBe(
      SCRAM_SHA_256,
    );
  });

  it('rejects inconsistent mechanism and gs2 header', () => {
    const bound = () => new ScramServer(CREDENTIALS, { channelBinding: BINDING_A });
    expectReason(
      () => bound().clientFirst(SCRAM_SHA_256_PLUS, Buffer.from('n,,n=,r=abc')),
      'channel-binding',
    );
    expectReason(
      () => bound().clientFirst(SCRAM_SHA_256, Buffer.from('p=tls-server-end-point,,n=,r=abc')),
      'channel-binding',
    );
    expectReason(
      () => bound().clientFirst(SCRAM_SHA_256_PLUS, Buffer.from('p=tls-unique,,n=,r=abc')),
      'channel-binding',
    );
    const plain = new ScramServer(CREDENTIALS);
    expectReason(
      () => plain.clientFirst(SCRAM_SHA_256_PLUS, Buffer.from('p=tls-server-end-point,,n=,r=a')),
      'unsupported-mechanism',
    );
    expectReason(
      () => new ScramServer(CREDENTIALS).clientFirst('SCRAM-SHA-1', Buffer.from('n,,n=,r=a')),
      'unsupported-mechanism',
    );
  });
});

// Generated with OpenSSL 3.0 (self-signed, CN=a/b/c/d).
const CERTS = {
  ecdsaSha1:
    'MIIBbTCCARSgAwIBAgIUHs4ZkdVdSTttQtqkwpm/dhXnKoswCQYHKoZIzj0EATAMMQowCAYDVQQDDAFhMCAXDTI2MTEyMzAxMDkwMVoYDzIxMjYxMDMwMDEwOTAxWjAMMQowCAYDVQQDDAFhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhdztaSonLvu/Rj2sBqQWPc1AhWUNFCqYhc20VvcYNZ9vUPbuE4AQsW1t0u5I20yFH7YDuCVyXe0hp8z+QN6csaNTMFEwHQYDVR0OBBYEFOaEwW3uAVLorSXvjEuxoYu37nVmMB8GA1UdIwQYMBaAFOaEwW3uAVLorSXvjEuxoYu37nVmMA8GA1UdEwEB/wQFMAMBAf8wCQYHKoZIzj0EAQNIADBFAiEAivNZQ1Mn95B0guqRPBUJtdSbZwU/HvRfKIZwcDBaIYgCIDHbeIvIuG17QY9tBA6jTO+3npGVmADu9GqNlYSzsYBl',
  ecdsaSha384:
    'MIIBcDCCARWgAwIBAgIUZTYjGIyib5hB/GudK5D6b114WZMwCgYIKoZIzj0EAwMwDDEKMAgGA1UEAwwBYjAgFw0yNjExMjMwMTA5MDFaGA8yMTI2MTAzMDAxMDkwMVowDDEKMAgGA1UEAwwBYjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABHF3WumHnlK+nCQunmfMcPm9QH5WtaZzhfWQsP6dZwVq04FpaUUXaLR3VYcC6ytHb/zdBcxPJeowOmn87zCKxYCjUzBRMB0GA1UdDgQWBBQcZNBkxP+qmjkERPe2lItgy6sshjAfBgNVHSMEGDAWgBQcZNBkxP+qmjkERPe2lItgy6sshjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMDA0kAMEYCIQCidDBsNHHORMPehEBdP6OW/ZxFOwFwCddIQc6b4REr sAIhANvg28Bu7hzAG86pJq4cJgjb/2e3KRsKMXg4nfNSguKx',
  ed25519:
    'MIIBLjCB4aADAgECAhRJziY6MbWFt9BA7pLMM/Rqi+ossDAFBgMrZXAwDDEKMAgGA1UEAwwBYzAgFw0yNjExMjMwMTA5MDFaGA8yMTI2MTAzMDAxMDkwMVowDDEKMAgGA1UEAwwBYzAqMAUGAytlcAMhANjkNo+J/vRDcsNcIpW6rkPS/9v1l+xVQ9ZnWjYWnW92o1MwUTAdBgNVHQ4EFgQUdwap+apxg4VGVQpw7kUY5esGQgYwHwYDVR0jBBgwFoAUdwap+apxg4VGVQpw7kUY5esGQgYwDwYDVR0TAQH/BAUwAwEB/zAFBgMrZXADQQCDRHt2NI9iIfIWMty8H3n3Ny85x2eaPEHiy/mQQLIbyG4i40V8XPzdhsb5gSbD1UYrDtbf2MDaJRJoDYhk9VAH',
  rsaPssSha512:
    'MIICXDCCAZGgAwIBAgIUWiliVVsVfuu4xa4ArqRFhik2hiAwQQYJKoZIhvcNAQEKMDSgDzANBglghkgBZQMEAgMFAKEcMBoGCSqGSIb3DQEBCDANBglghkgBZQMEAgMFAKIDAgE+MAwxCjAIBgNVBAMMAWQwIBcNMjYxMTIzMDEwOTAxWhgPMjEyNjEwMzAwMTA5MDFaMAwxCjAIBgNVBAMMAWQwgZ0wCwYJKoZIhvcNAQEKA4GNADCBiQKBgQCvm/XbD3kb2LiEVljgkcqw7SLTxfkpOgAlCGTHkPzC0UO9rpQsxv8NnMa6yHh4uPRwypK5IbPx4osF5rvsxQP642Wg4F9jTzHGcOtUbzvDw+nqqbW69cUC3nMwHHpgAC4rLqwxFEuv2ZkveXJT5GZfjAhe4d4ukX9H4kqenp+B6wIDAQABo1MwUTAdBgNVHQ4EFgQUrwAW615zHhUoiE69B02mRyMRYTQwHwYDVR0jBBgwFoAUrwAW615zHhUoiE69B02mRyMRYTQwDwYDVR0TAQH/BAUwAwEB/zBBBgkqhkiG9w0BAQowNKAPMA0GCWCGSAFlAwQCAwUAoRwwGgYJKoZIhvcNAQEIMA0GCWCGSAFlAwQCAwUAogMCAT4DgYEAVggiuvteHithyg87HOfAWvzOfuPRGk3bXUF+oR9/GjB84Fu359qjrCKcc3kNbN1LgLSLgPg0tECmooKmoHyRWoWnD9YR2L2ms6eTuuHFREl7guEfYsuPU2U6Bq3QH6432KeXQURaguDrgMoWqjKGvFGE/otmmO4q1QjIJo62KZs=',
};
const der = (b64: string) => Buffer.from(b64, 'base64');

describe('tlsServerEndPoint', () => {
  it('uses SHA-256 for SHA-1 signatures and the signature hash otherwise (RFC 5929)', () => {
    const sha1Cert = der(CERTS.ecdsaSha1);
    const fingerprint = new X509Certificate(sha1Cert).fingerprint256.replaceAll(':', '').toLowerCase();
    expect(tlsServerEndPoint(sha1Cert).toString('hex')).toBe(fingerprint);
    const sha384Cert = der(CERTS.ecdsaSha384);
    expect(tlsServerEndPoint(sha384Cert)).toEqual(createHash('sha384').update(sha384Cert).digest());
    const pssCert = der(CERTS.rsaPssSha512);
    expect(tlsServerEndPoint(pssCert)).toEqual(createHash('sha512').update(pssCert).digest());
  });

  it('refuses certificates without a single hash, and garbage', () => {
    expectReason(() => tlsServerEndPoint(der(CERTS.ed25519)), 'channel-binding');
    expectReason(() => tlsServerEndPoint(Buffer.from('not a certificate')), 'malformed');
    expectReason(() => tlsServerEndPoint(der(CERTS.ecdsaSha1).subarray(0, 100)), 'malformed');
    expectReason(() => tlsServerEndPoint(Buffer.alloc(0)), 'malformed');
  });
});

describe('verifiers', () => {
  it('formats and parses round trip', () => {
    const credentials = makeScramCredentials('pencil');
    const text = formatScramVerifier(credentials);
    expect(text).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(parseScramVerifier(text)).toEqual(credentials);
    expect(formatScramVerifier(parseScramVerifier(text))).toBe(text);
  });

  it('matches a verifier computed independently with the PostgreSQL recipe', () => {
    const salt = Buffer.from('0123456789abcdef');
    const salted = pbkdf2Sync('pencil', salt, 4096, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    const text = `SCRAM-SHA-256$4096:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
    expect(parseScramVerifier(text)).toEqual({ iterations: 4096, salt, storedKey, serverKey });
    expect(formatScramVerifier(makeScramCredentials('pencil', { salt }))).toBe(text);
  });

  // rolpassword values written by PostgreSQL 15 (CREATE ROLE ... PASSWORD '...'), including SASLprep cases.
  const POSTGRES_VERIFIERS: [string, string][] = [
    [
      'pencil',
      'SCRAM-SHA-256$4096:g2rUeubD0m9MIX9JvjmN7g==$PxR1HBlWeoDx2atoDBMk1nhOUDs+IxVNHq7cCA2lVks=:1EvaFyTkIQXEv+AdxJIlgWyMGPJuJlX4jT7jUxMTj9U=',
    ],
    [
      'I\u00ADX',
      'SCRAM-SHA-256$4096:7UwyNRAbBllWAuIGzj37Ew==$mdM7w4hIoolzUBOH3a1QloTdnv09W3irzVk0W9+zFRA=:9Bvm49jOvwx9o1PwInx59cOhJdbxt52EBgYbIQtwUJM=',
    ],
    [
      '\u2168',
      'SCRAM-SHA-256$4096:tK5UVuKqG815+kVbvkBCnQ==$3JKt7w+CVgHjy70m9dPjCi7gmWQPhusIP30Bxyen15Y=:9jJD3/YIi8HcRspxhg/a0+vMmpY8ur8D34QvrWatFf8=',
    ],
    [
      '\u2168\uE000',
      'SCRAM-SHA-256$4096:b3Jh559mvjQ6IxZZIa2jBA==$gnbD9jYxbtrBGMrCHoSLFL3iciS7dozcp2ZbbvHlBj0=:TN60MR3LJIm8oWdUBIVvnKKn0/xk5kE7XF4om08jWGw=',
    ],
    [
      '\u0627x',
      'SCRAM-SHA-256$4096:WAXqNWh5Rim8+nF8irupHw==$lFxGWUMalU50YPHhFExGsSW88ioHt+jMPmyJY4oBFFw=:kjFQKrhTA9GMzJ3vqsW0Se45MWLBvR+bRUct9AIIwCE=',
    ],
    [
      'a\u3000b\uFB01',
      'SCRAM-SHA-256$4096:17uCZIEd2HcrIxivmVJfLg==$XTMzMDM7bT6otHnm24kZBptBrPT+J/lLPD5y/8ybHQc=:+dV53vOC4uzPBFAOcY3cRsPQVAjYITakOPbIlRUZqsw=',
    ],
    [
      'p\u00e4ss\u{1F600}',
      'SCRAM-SHA-256$4096:1keVJgnxVHULn8T7AHDIfg==$PVSP8rB74gv5RN73u7HdTxgTW6RIOw8uIEdLrLzzCGk=:3AzSs43gKUFhKvSZC3YOOVSeAi4mes0/Y0s2bow0ndc=',
    ],
  ];

  it.each(POSTGRES_VERIFIERS)('reproduces the PostgreSQL verifier for %j', (password, verifier) => {
    const { salt, iterations } = parseScramVerifier(verifier);
    expect(formatScramVerifier(makeScramCredentials(password, { salt, iterations }))).toBe(verifier);
  });

  it('applies SASLprep: mapping, NFKC, and raw fallback for prohibited output', () => {
    const salt = Buffer.from('saltsaltsaltsalt');
    const key = (password: string) => makeScramCredentials(password, { salt }).storedKey;
    expect(key('I\u00ADX')).toEqual(rawStoredKey('IX', salt));
    expect(key('\u2168')).toEqual(rawStoredKey('IX', salt));
    expect(key('\u00AA')).toEqual(rawStoredKey('a', salt));
    expect(key('\u2168\uE000')).toEqual(rawStoredKey('\u2168\uE000', salt));
    expect(key('a\u0007')).toEqual(rawStoredKey('a\u0007', salt));
  });

  it('rejects malformed verifiers', () => {
    const good = formatScramVerifier(makeScramCredentials('x', { iterations: 1 }));
    const bad = [
      '',
      'md5abcdef',
      good.replace('SCRAM-SHA-256', 'SCRAM-SHA-1'),
      good.replace('$1:', '$0:'),
      good.replace('$1:', '$x:'),
      good.slice(0, -4),
      good.replace(/:[^$]*\$/, ':!!!$'),
      `${good}$extra`,
      good.replaceAll('$', ':'),
    ];
    for (const text of bad) expectReason(() => parseScramVerifier(text), 'malformed');
  });

  it('validates makeScramCredentials options', () => {
    expectReason(() => makeScramCredentials('x', { iterations: 0 }), 'iteration-count');
    expectReason(() => makeScramCredentials('x', { iterations: 1.5 }), 'iteration-count');
    expectReason(() => makeScramCredentials('x', { salt: Buffer.alloc(0) }), 'malformed');
    const defaults = makeScramCredentials('x');
    expect(defaults.iterations).toBe(4096);
    expect(defaults.salt).toHaveLength(16);
  });
});

describe('md5PasswordResponse', () => {
  it('computes "md5" + md5hex(md5hex(password + user) + salt)', () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
    const expected = `md5${md5(Buffer.concat([Buffer.from(md5('secretpostgres')), salt]))}`;
    expect(md5PasswordResponse('postgres', 'secret', salt)).toBe(expected);
    expect(expected).toMatch(/^md5[0-9a-f]{32}$/);
  });
});

describe('garbage input', () => {
  const garbage = [
    '',
    ',',
    ',,,,',
    '\0',
    'n',
    'n,,',
    'n,,n=',
    'n,,r=abc',
    'n,,n=,r=',
    'n,,n=,r=a b',
    'n,a=admin,n=,r=abc',
    'n,,m=ext,n=,r=abc',
    'n,,n=bad=name,r=abc',
    'n,,n=,r=abc,!',
    'x,,n=,r=abc',
    'r=abc',
    'c=biws',
    'c=biws,r=abc',
    'c=!!!!,r=abc,p=AAAA',
    'c=biws,r=abc,p=AAAA',
    'c=biws,p=AAAA,r=abc',
    's=abc,r=abc,i=1',
    `r=${CLIENT_NONCE}x,s=,i=4096`,
    `r=${CLIENT_NONCE}x,s=@@@@,i=4096`,
    `r=${CLIENT_NONCE}x,i=4096,s=${SALT_B64}`,
    `r=${CLIENT_NONCE}x,s=${SALT_B64}`,
    `r=${CLIENT_NONCE}x,s=${SALT_B64},i=`,
    `r=${CLIENT_NONCE}x,s=${SALT_B64},i=4096,`,
    'v=',
    'v=abc',
    'v=!!!!',
    'x=abc',
  ];
  const inputs = [
    ...garbage.map((text) => Buffer.from(text)),
    Buffer.from([0xff, 0xfe, 0xfd]),
    Buffer.from([0xc3]),
    Buffer.from('\uFEFFn,,n=,r=abc'),
    ...Array.from({ length: 50 }, () => randomBytes(1 + Math.floor(Math.random() * 64))),
  ];

  it('throws only ScramError from every parser', () => {
    for (const input of inputs) {
      scramError(() => new ScramServer(CREDENTIALS).clientFirst(SCRAM_SHA_256, input));
      const server = new ScramServer(CREDENTIALS, { nonce: SERVER_NONCE });
      server.clientFirst(SCRAM_SHA_256, Buffer.from(CLIENT_FIRST));
      scramError(() => server.clientFinal(input));
      const client = new ScramClient('pencil', { nonce: CLIENT_NONCE, user: 'user' });
      client.clientFirst();
      scramError(() => client.clientFinal(input));
      const done = new ScramClient('pencil', { nonce: CLIENT_NONCE, user: 'user' });
      done.clientFirst();
      done.clientFinal(Buffer.from(SERVER_FIRST));
      scramError(() => done.verifyServerFinal(input));
      scramError(() => parseScramVerifier(input.toString('latin1')));
      scramError(() => tlsServerEndPoint(input));
    }
  });

  it('rejects unusable nonces and credentials at construction', () => {
    expectReason(() => new ScramClient('x', { nonce: 'has,comma' }), 'malformed');
    expectReason(() => new ScramClient('x', { nonce: '' }), 'malformed');
    expectReason(() => new ScramServer(CREDENTIALS, { nonce: 'sp ace' }), 'malformed');
    const broken: ScramCredentials = { ...CREDENTIALS, iterations: 0 };
    expectReason(() => new ScramServer(broken), 'iteration-count');
  });
});
