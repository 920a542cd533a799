/**
 * Web pages against the Anthropic proxy, in real Chromium: a page on another site must not be able to write
 * records through 127.0.0.1:8787 (a no-cors `text/plain` POST needs no CORS preflight, and an `<img>` GET none
 * at all), nor reach it under a rebound DNS name; an origin the user allowlisted in config.json still can.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';
import { launchChromium } from './browser.js';

/** The page every site serves: it runs what the test evaluates in it. */
const PAGE = '<!doctype html><title>some site</title><p>hello</p>';

describe('web pages against the Anthropic proxy, in Chromium', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let sites: Server;
  let sitesPort: number;
  let browser: Browser;
  let page: Page;
  let proxyUrl: string;

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    // One server plays every site; Chromium resolves their names to it.
    sites = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
    });
    sites.listen(0, '127.0.0.1');
    await once(sites, 'listening');
    sitesPort = (sites.address() as AddressInfo).port;
    test = await startTestEngine(mock.url, (config) => {
      config.anthropic.allowedOrigins = [`http://allowed.example:${sitesPort}`];
    });
    proxyUrl = test.engine.addresses.anthropicUrl;
    browser = await launchChromium([
      '--host-resolver-rules=MAP evil.example 127.0.0.1, MAP allowed.example 127.0.0.1, MAP rebind.example 127.0.0.1',
    ]);
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await browser?.close();
    await test?.cleanup();
    await mock?.stop();
    sites?.close();
  });

  /** Everything recorded so far, across sessions. */
  const recorded = () => test.engine.store.allSessionIds().flatMap((id) => test.engine.store.listEvents(id));

  /** From a page of `site`, a no-cors text/plain POST to the proxy: what any page may send without a preflight. */
  async function postFrom(site: string): Promise<string> {
    await page.goto(`http://${site}:${sitesPort}/`);
    // Evaluated in the page (the test's own TypeScript has no DOM types).
    return page.evaluate(`(async () => {
      const body = JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'written by a web page' }],
      });
      try {
        const response = await fetch('${proxyUrl}/v1/messages', {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain' },
          body,
        });
        return response.type;
      } catch (error) {
        return 'failed: ' + error.message;
      }
    })()`);
  }

  it('neither records nor forwards a cross-site no-cors POST', async () => {
    const outcome = await postFrom('evil.example');
    // The page cannot tell (an opaque answer either way); the proxy must have stopped it.
    expect(outcome).toBe('opaque');
    expect(mock.requests).toEqual([]);
    expect(recorded()).toEqual([]);
  });

  it('neither records nor forwards a cross-site GET from an <img>', async () => {
    await page.goto(`http://evil.example:${sitesPort}/`);
    const loaded = await page.evaluate(`new Promise((resolve) => {
      const img = document.createElement('img');
      img.onload = () => resolve('load');
      img.onerror = () => resolve('error');
      img.src = '${proxyUrl}/v1/models?from=img';
      document.body.append(img);
    })`);
    expect(loaded).toBe('error');
    expect(mock.requests).toEqual([]);
    expect(recorded()).toEqual([]);
  });

  it('answers a rebound DNS name (Host not a loopback name) with an Anthropic-shaped 403', async () => {
    const port = new URL(proxyUrl).port;
    // What a page whose name was rebound to 127.0.0.1 reaches: the proxy, addressed by the page's own name.
    const response = await page.goto(`http://rebind.example:${port}/v1/models`);
    expect(response?.status()).toBe(403);
    const body = JSON.parse((await response?.text()) ?? '') as { type: string; error: { type: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(mock.requests).toEqual([]);
    expect(recorded()).toEqual([]);
  });

  it('records and forwards a POST from an allowlisted origin', async () => {
    await postFrom('allowed.example');
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]!.headers.origin).toBe(`http://allowed.example:${sitesPort}`);
    expect(recorded().map((event) => event.kind)).toEqual(['http.request', 'llm.turn']);
  });
});
