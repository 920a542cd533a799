import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateCost, priceFor } from '../../proxy/anthropic/pricing.js';
import { applyEnvCommand, cliCommand, detectShell, envLines } from '../../proxy/cli/env.js';
import {
  CredentialFingerprints,
  fingerprintCredential,
  redactHeaders,
  requestCredential,
} from '../../proxy/policy/credentials.js';

describe('pricing', () => {
  it('matches dated model ids by prefix, most specific first', () => {
    expect(priceFor('claude-sonnet-4-5-20250929')).toMatchObject({ input: 3, output: 15 });
    expect(priceFor('claude-opus-4-5')).toMatchObject({ input: 5, output: 25 });
    expect(priceFor('claude-opus-4-1-20250805')).toMatchObject({ input: 15, output: 75 });
    expect(priceFor('claude-opus-4-50')).toBeUndefined();
    expect(priceFor('claude-opus-5')).toMatchObject({ input: 5, output: 25 });
    expect(priceFor('claude-opus-5-5')).toMatchObject({ input: 4, output: 20 });
    expect(priceFor('claude-sonnet-5-5-20261001')).toMatchObject({ input: 2, cacheRead: 0.1 });
    expect(priceFor('gpt-4')).toBeUndefined();
  });

  it('prices input, output, 5-minute and 1-hour cache writes and cache reads', () => {
    // Sonnet: $3 in, $15 out per MTok; cache 5m write 3.75, 1h write 6, read 0.30.
    const cost = estimateCost('claude-sonnet-4-5', {
      input_tokens: 1_000_000,
      output_tokens: 100_000,
      cache_creation_input_tokens: 300_000,
      cache_creation: { ephemeral_5m_input_tokens: 200_000, ephemeral_1h_input_tokens: 100_000 },
      cache_read_input_tokens: 1_000_000,
    });
    expect(cost).toBeCloseTo(3 + 1.5 + 0.75 + 0.6 + 0.3, 6);
  });

  it('reports null for unknown models rather than guessing', () => {
    expect(estimateCost('claude-opus-9', { input_tokens: 10, output_tokens: 10 })).toBeNull();
  });
});

describe('credentials', () => {
  const key = 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-Q9xA';

  it('fingerprints keys without containing them', () => {
    const print = fingerprintCredential(key);
    expect(print).toMatch(/^sk-ant-api03-…Q9xA #[0-9a-f]{12}$/);
    expect(print).not.toContain('AbCdEf');
    expect(fingerprintCredential(`Bearer ${key}`)).toMatch(/^Bearer sk-ant-api03-…Q9xA #/);
    expect(fingerprintCredential('short')).toMatch(/^… #[0-9a-f]{12}$/);
  });

  it('is stable so sessions can be attributed to a key', () => {
    expect(fingerprintCredential(key)).toBe(fingerprintCredential(key));
    expect(fingerprintCredential(key)).not.toBe(fingerprintCredential(`${key}x`));
  });

  it('redacts every credential header and keeps the rest', () => {
    const out = redactHeaders({
      'x-api-key': key,
      authorization: `Bearer ${key}`,
      'proxy-authorization': 'Basic dXNlcjpwYXNzd29yZA==',
      cookie: 'session=abc',
      'anthropic-version': '2023-06-01',
      'anthropic-beta': ['a', 'b'],
    });
    expect(JSON.stringify(out)).not.toContain(key.slice(13, 40));
    expect(JSON.stringify(out)).not.toContain('dXNlcjpwYXNzd29yZA');
    expect(out.cookie).toBe('[redacted cookie]');
    expect(out['anthropic-version']).toBe('2023-06-01');
    expect(out['anthropic-beta']).toBe('a, b');
  });

  it('remembers fingerprints of recent credentials, the same as computed, and forgets the oldest', () => {
    const fingerprints = new CredentialFingerprints(2);
    const keys = [key, `${key}-2`, `${key}-3`];
    for (const value of keys) expect(fingerprints.of(value)).toBe(fingerprintCredential(value));
    const headers = { 'x-api-key': key, authorization: `Bearer ${keys[1]}`, 'user-agent': 'sdk' };
    expect(redactHeaders(headers, fingerprints)).toEqual(redactHeaders(headers));
    expect(requestCredential(headers, fingerprints)).toBe(fingerprintCredential(key));
    // Bounded: never more than two credentials held.
    expect(fingerprints.size).toBe(2);
  });
});

describe('glassbox env lines', () => {
  const vars = { ANTHROPIC_BASE_URL: 'http://127.0.0.1:8787' };
  it('speaks each shell', () => {
    expect(envLines('bash', vars)).toEqual(['export ANTHROPIC_BASE_URL=http://127.0.0.1:8787']);
    expect(envLines('zsh', vars)).toEqual(['export ANTHROPIC_BASE_URL=http://127.0.0.1:8787']);
    expect(envLines('fish', vars)).toEqual(['set -gx ANTHROPIC_BASE_URL http://127.0.0.1:8787']);
    expect(envLines('powershell', vars)).toEqual(['$env:ANTHROPIC_BASE_URL = "http://127.0.0.1:8787"']);
    expect(envLines('bash', { X: "it's" })).toEqual([`export X='it'\\''s'`]);
  });

  it('detects the shell from $SHELL', () => {
    expect(detectShell({ SHELL: '/usr/bin/fish' }, 'linux')).toBe('fish');
    expect(detectShell({ SHELL: '/bin/zsh' }, 'darwin')).toBe('zsh');
    expect(detectShell({}, 'win32')).toBe('powershell');
    expect(detectShell({}, 'linux')).toBe('bash');
  });

  it('suggests `npx glassbox` where no glassbox executable is on PATH, as in a checkout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gb-path-'));
    try {
      expect(cliCommand({ PATH: dir }, 'linux')).toBe('npx glassbox');
      writeFileSync(join(dir, 'glassbox'), '#!/bin/sh\n', { mode: 0o644 });
      expect(cliCommand({ PATH: dir }, 'linux')).toBe('npx glassbox');
      chmodSync(join(dir, 'glassbox'), 0o755);
      expect(cliCommand({ PATH: `/nonexistent:${dir}` }, 'linux')).toBe('glassbox');
      // Under npx the PATH is npm's (its cache may hold a glassbox link): the user types npx glassbox.
      expect(cliCommand({ PATH: dir, npm_command: 'exec' }, 'linux')).toBe('npx glassbox');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const npxCache = mkdtempSync(join(tmpdir(), 'gb-npx-'));
    const bin = join(npxCache, '_npx', 'abc', 'node_modules', '.bin');
    try {
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'glassbox'), '#!/bin/sh\n', { mode: 0o755 });
      // npm run puts its own bins on PATH; they are not the user's shell's.
      expect(cliCommand({ PATH: bin, npm_command: 'start' }, 'linux')).toBe('npx glassbox');
      expect(cliCommand({ PATH: bin }, 'linux')).toBe('glassbox');
    } finally {
      rmSync(npxCache, { recursive: true, force: true });
    }
    expect(applyEnvCommand('bash', 'npx glassbox')).toBe('eval "$(npx glassbox env)"');
    expect(applyEnvCommand('fish', 'glassbox')).toBe('glassbox env | source');
  });
});

describe('price overrides from config.json', () => {
  it('price models newer than the built-in table, and win over it', () => {
    const overrides = {
      'claude-opus-5-5': { input: 5, output: 25 },
      'claude-haiku-4-5': { input: 2, output: 10 },
    };
    expect(estimateCost('claude-opus-5-5', { input_tokens: 1_000_000, output_tokens: 0 }, overrides)).toBe(5);
    expect(priceFor('claude-haiku-4-5-20251001', overrides)).toEqual({ input: 2, output: 10 });
  });

  it('take cache rates when given, else the usual multipliers of the input price', () => {
    const overrides = { 'claude-next': { input: 2, output: 10, cacheRead: 0.05 } };
    const usage = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 1_000_000 };
    expect(estimateCost('claude-next', usage, overrides)).toBe(0.05);
    expect(estimateCost('claude-next', usage, { 'claude-next': { input: 2, output: 10 } })).toBe(0.2);
  });
});
