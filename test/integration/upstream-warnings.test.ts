/**
 * An upstream that cannot be reached is said, once, where people look: one warning line on the `serve`
 * terminal when it starts failing and one when it answers again (never one per request), the state in
 * GET /api/health, and each change pushed on /api/live for the dashboard's banner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { HealthResponse, LiveMessage } from '../../proxy/api/types.js';
import { type ServeProcess, spawnServe, waitFor } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { freePort } from '../helpers/pg-proxy.js';

const ask = (base: string) =>
  fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-glassbox-session': 'retries' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });

describe('an unreachable upstream, as the serve terminal and the control API tell it', () => {
  let home: string;
  let port: number;
  let serve: ServeProcess;
  let mock: MockAnthropic | undefined;
  let live: WebSocket;
  const pushed: LiveMessage[] = [];

  beforeAll(async () => {
    home = tempHome();
    port = await freePort(); // nothing listens there until the test starts the mock
    serve = await spawnServe(home, `http://127.0.0.1:${port}`);
    const { origin, hash } = new URL(serve.dashboardUrl);
    const token = hash.slice('#token='.length);
    live = new WebSocket(`${origin.replace('http', 'ws')}/api/live?access_token=${token}`);
    live.on('message', (data) => pushed.push(JSON.parse(String(data)) as LiveMessage));
    await new Promise((resolve) => live.once('open', resolve));
  });
  afterAll(async () => {
    live?.close();
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    await mock?.stop();
  });

  const health = async (): Promise<HealthResponse> => {
    const { origin, hash } = new URL(serve.dashboardUrl);
    const response = await fetch(`${origin}/api/health`, {
      headers: { authorization: `Bearer ${hash.slice('#token='.length)}` },
    });
    return (await response.json()) as HealthResponse;
  };
  const warnings = () =>
    serve
      .errors()
      .split('\n')
      .filter((line) => line.includes(`127.0.0.1:${port}`));

  it('prints one warning for any number of failed requests, and reports the failing state', async () => {
    for (let i = 0; i < 4; i++) expect((await ask(serve.anthropicUrl)).status).toBe(502);
    await waitFor(() => warnings().length > 0, 10_000, 'the warning line');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(
      /^glassbox: warning: cannot reach the Anthropic API at http:\/\/127\.0\.0\.1:\d+\/ \(.*ECONNREFUSED/,
    );
    const { status } = (await health()).proxies.anthropic;
    expect(status).toMatchObject({ state: 'failing', failed_requests: 4 });
    expect(status.last_error).toMatch(/ECONNREFUSED/);
    const changes = pushed.filter((m) => m.type === 'upstream');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ type: 'upstream', proxy: 'anthropic', status: { state: 'failing' } });
  });

  it('prints one line when the upstream answers again, and reports it ok', async () => {
    mock = await MockAnthropic.start({ port });
    for (let i = 0; i < 3; i++) expect((await ask(serve.anthropicUrl)).status).toBe(200);
    await waitFor(() => warnings().length > 1, 10_000, 'the recovery line');
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toMatch(
      /^glassbox: the Anthropic API at http:\/\/127\.0\.0\.1:\d+\/ answers again \(after .+; 4 requests failed\)$/,
    );
    expect((await health()).proxies.anthropic.status).toMatchObject({ state: 'ok', last_error: null });
    await waitFor(() => pushed.filter((m) => m.type === 'upstream').length > 1, 5_000, 'the live change');
    const changes = pushed.filter((m) => m.type === 'upstream');
    expect(changes).toHaveLength(2);
    expect(changes[1]).toMatchObject({ status: { state: 'ok' } });
  });
});
