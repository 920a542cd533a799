/**
 * Credentials a request carries under other names than the usual five headers — custom auth headers, a
 * Basic credential, `api_key` in the query — are forwarded as they came and never written under
 * GLASSBOX_HOME (journal, database, WAL).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startTestEngine } from '../helpers/engine.js';
import { filesUnder } from '../helpers/files.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

describe('credentials under any name', () => {
  it('forwards them unchanged and stores none of them', async () => {
    const mock = await MockAnthropic.start();
    const test = await startTestEngine(mock.url);
    try {
      const queryKey = 'qk-Query0ApiKey0MustNotLeak0123456789';
      const googKey = 'gk-Header0GoogKey0MustNotLeak0123456';
      const authToken = 'at-Header0AuthToken0MustNotLeak01234';
      const password = 'pw-correct-horse-battery-staple-9876';
      const basic = Buffer.from(`alice:${password}`).toString('base64');
      const response = await fetch(
        `${test.engine.addresses.anthropicUrl}/v1/messages?beta=true&api_key=${queryKey}`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-glassbox-session': 'credentials',
            'x-goog-api-key': googKey,
            'x-auth-token': authToken,
            authorization: `Basic ${basic}`,
          },
          body: JSON.stringify({
            model: 'claude-haiku-4-5',
            max_tokens: 5,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        },
      );
      expect(response.status).toBe(200);
      const forwarded = mock.requests.at(-1)!;
      expect(forwarded.url).toBe(`/v1/messages?beta=true&api_key=${queryKey}`);
      expect(forwarded.headers['x-goog-api-key']).toBe(googKey);
      expect(forwarded.headers.authorization).toBe(`Basic ${basic}`);

      const session = test.engine.store.findByExternalId('anthropic', 'credentials');
      const [request] = test.engine.store.listEvents(session!.id);
      const payload = request!.payload as { path: string; headers: Record<string, string> };
      expect(payload.path).toMatch(/^\/v1\/messages\?beta=true&api_key=redacted:[0-9a-f]{12}$/);
      expect(payload.headers.authorization).toMatch(/^Basic … #[0-9a-f]{12}$/);
      // Checked while the journal still holds the write: no secret, nor the Basic credential's last characters.
      const files = filesUnder(test.home);
      expect(files.some((f) => f.includes('journal'))).toBe(true);
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const needle of [
          queryKey,
          googKey,
          authToken,
          password,
          basic,
          basic.slice(-4),
          googKey.slice(-8),
        ]) {
          expect(bytes.includes(Buffer.from(needle)), `${needle} in ${file}`).toBe(false);
        }
      }
    } finally {
      await test.cleanup();
      await mock.stop();
    }
  });
});
