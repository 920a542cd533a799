import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, loadConfig } from '../../proxy/config.js';
import { useStoreHome } from '../helpers/files.js';

describe('anthropic settings in config.json', () => {
  const paths = useStoreHome('glassbox-config-');

  it('defaults to no allowed origins and bounds no real client reaches', () => {
    expect(ConfigSchema.parse({}).anthropic).toMatchObject({
      allowedOrigins: [],
      requestBodyTimeoutMs: 60_000,
      maxPendingRequestBytes: 256 * 1024 * 1024,
      upstreamConnectTimeoutMs: 10_000,
      upstreamHeadersTimeoutMs: 600_000,
    });
  });

  it('stores allowed origins as browsers send them', () => {
    const parsed = ConfigSchema.parse({
      anthropic: {
        allowedOrigins: ['http://LOCALHOST:3000/', 'https://app.example:443', 'http://[::1]:5173'],
      },
    });
    expect(parsed.anthropic.allowedOrigins).toEqual([
      'http://localhost:3000',
      'https://app.example',
      'http://[::1]:5173',
    ]);
  });

  it('refuses what is not an origin, naming the field', () => {
    for (const bad of ['null', '*', 'http://localhost:3000/app', 'ftp://files.example', 'localhost:3000']) {
      const { home } = paths();
      writeFileSync(join(home, 'config.json'), JSON.stringify({ anthropic: { allowedOrigins: [bad] } }));
      expect(() => loadConfig(home), bad).toThrow(/anthropic\.allowedOrigins\.0: must be a web origin/);
    }
  });
});
