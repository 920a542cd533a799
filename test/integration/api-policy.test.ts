import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ErrorResponse,
  PolicyApplyResponse,
  PolicyPreviewResponse,
  PolicyResponse,
  PolicyTryResponse,
} from '../../proxy/api/types.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const EMAIL = 'ana.lopez@acme-corp.io';
const KEY = 'sk-ant-api03-Zq7xW2mN9pL4kR8sT1vY6bC3dF5gH0jK-PLANTED';
const EMPLOYEE = 'EMP-482913';
const EMPLOYEE_RULE = { id: 'custom.employee_id', pattern: 'EMP-[0-9]{6}', keywords: ['EMP-'] };

/** A raw request where the test sets every header, Host included. */
function raw(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('control API: the masking policy', () => {
  let mock: MockAnthropic;
  let test: TestEngine;
  let api: string;
  let auth: Record<string, string>;

  const call = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { ...auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const ok = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await call<T>(method, path, body);
    expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBe(200);
    return answer.body;
  };
  const policyEvents = () =>
    test.engine.store
      .listSessions({ kind: 'http', limit: 100 })
      .filter((s) => s.client === 'glassbox-policy')
      .flatMap((s) => test.engine.store.listEvents(s.id).filter((e) => e.kind === 'policy.changed'));

  beforeAll(async () => {
    mock = await MockAnthropic.start();
    test = await startTestEngine(mock.url);
    api = test.engine.addresses.apiUrl;
    auth = { authorization: `Bearer ${test.engine.addresses.token}` };
    for (const [session, text] of [
      ['policy-a', `My employee id is ${EMPLOYEE}; mail the report to ${EMAIL}`],
      ['policy-b', 'Nothing sensitive here, just zebras.'],
    ]) {
      await fetch(`${test.engine.addresses.anthropicUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-glassbox-session': session! },
        body: JSON.stringify({
          model: 'claude-haiku-4-5',
          max_tokens: 5,
          messages: [{ role: 'user', content: text }],
        }),
      }).then((r) => r.text());
    }
  });
  afterAll(async () => {
    await test?.cleanup();
    await mock?.stop();
  });

  it('guards every policy route as the rest of the API: token, Host, Origin, JSON bodies, size', async () => {
    const port = new URL(api).port;
    const routes: Array<[string, string]> = [
      ['GET', '/api/policy'],
      ['PUT', '/api/policy'],
      ['POST', '/api/policy/preview'],
      ['POST', '/api/policy/try'],
      ['POST', '/api/policy/preview-table'],
      ['GET', '/api/policy/tables?connection=x'],
    ];
    const json = { 'content-type': 'application/json' };
    for (const [method, path] of routes) {
      const body = method === 'GET' ? undefined : '{"text":"x"}';
      expect((await raw(`${api}${path}`, method, json, body)).status, `${method} ${path}`).toBe(401);
      const wrong = { ...json, authorization: `Bearer ${auth.authorization!.slice(7)}x` };
      expect((await raw(`${api}${path}`, method, wrong, body)).status).toBe(401);
      const foreignOrigin = await raw(
        `${api}${path}`,
        method,
        { ...auth, ...json, origin: 'https://evil.example' },
        body,
      );
      expect(foreignOrigin.status, `${method} ${path}`).toBe(403);
      expect(JSON.parse(foreignOrigin.body).error.code).toBe('forbidden_origin');
      const foreignHost = await raw(
        `${api}${path}`,
        method,
        { ...auth, ...json, host: `evil.example:${port}` },
        body,
      );
      expect(foreignHost.status).toBe(403);
      expect(JSON.parse(foreignHost.body).error.code).toBe('forbidden_host');
    }
    // A form post (what a page can send without a preflight) is refused even with the token.
    const form = await raw(
      `${api}/api/policy`,
      'PUT',
      { ...auth, 'content-type': 'text/plain' },
      '{"document":{}}',
    );
    expect(form.status).toBe(415);
    const big = await raw(
      `${api}/api/policy/preview`,
      'POST',
      { ...auth, 'content-type': 'application/json' },
      JSON.stringify({ text: 'a'.repeat(3 * 1024 * 1024) }),
    );
    expect(big.status).toBe(413);
    const overText = await call<ErrorResponse>('POST', '/api/policy/preview', { text: 'é'.repeat(600_000) });
    expect(overText.status).toBe(413);
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/api/policy/preview', { txt: 'x' }, 400, 'bad_body'],
      ['POST', '/api/policy/try', { draft: {}, sessions: 0 }, 400, 'bad_body'],
      ['POST', '/api/policy/try', { sessions: 5 }, 400, 'bad_body'],
      ['PUT', '/api/policy', { base_version: 'x' }, 400, 'bad_body'],
      ['POST', '/api/policy/preview', 'not an object', 400, 'bad_body'],
      ['DELETE', '/api/policy', undefined, 405, 'method_not_allowed'],
      ['GET', '/api/policy/nothing', undefined, 404, 'not_found'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await call<ErrorResponse>(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(status);
      expect(answer.body.error.code).toBe(code);
    }
    const notJson = await raw(`${api}/api/policy/preview`, 'POST', { ...auth, ...json }, '{');
    expect(notJson.status).toBe(400);
  });

  it('answers the effective policy: detectors described, rules, dictionary, outbound, the file as written', async () => {
    const policy = await ok<PolicyResponse>('GET', '/api/policy');
    const current = test.engine.policy.current();
    expect(policy.version).toBe(current.version);
    expect(policy.written).toBeNull();
    expect(policy.refused).toBeNull();
    expect(policy.connections).toEqual([]);
    expect(policy.effective.detectors.map((d) => d.id)).toEqual(current.effective.detectors.map((d) => d.id));
    expect(policy.effective.detectors.find((d) => d.id === 'pii.email')).toMatchObject({
      category: 'pii',
      enabled: true,
      action: { type: 'redact' },
      description: expect.stringMatching(/email/i),
    });
    expect(policy.effective.sensitiveColumns.names).toContain('card_number');
    expect(policy.effective.outbound).toEqual({ enabled: false, detectors: [] });
    expect(policy.document.sensitiveColumns.enabled).toBe(true);
  });

  it('masks a text by the policy in force or by a draft, spans placed in both texts; a bad draft names its fields', async () => {
    const text = `key ${KEY} for ${EMAIL}, badge ${EMPLOYEE}`;
    const now = await ok<PolicyPreviewResponse>('POST', '/api/policy/preview', { text });
    expect(now.text).toBe(`key [MASKED:secret.anthropic_api_key] for [MASKED:pii.email], badge ${EMPLOYEE}`);
    expect(now.version).toBe(test.engine.policy.current().version);
    expect(
      now.spans.map((s) => [
        s.detector,
        text.slice(s.start, s.end),
        now.text.slice(s.masked_start, s.masked_end),
      ]),
    ).toEqual([
      ['secret.anthropic_api_key', KEY, '[MASKED:secret.anthropic_api_key]'],
      ['pii.email', EMAIL, '[MASKED:pii.email]'],
    ]);
    expect(now.counts).toEqual({ 'secret.anthropic_api_key': 1, 'pii.email': 1 });

    const draft = {
      custom: [EMPLOYEE_RULE],
      detectors: { 'pii.email': { action: { type: 'partial', keep: 6 } } },
    };
    const drafted = await ok<PolicyPreviewResponse>('POST', '/api/policy/preview', { draft, text });
    expect(drafted.text).toBe(
      `key [MASKED:secret.anthropic_api_key] for ${'•'.repeat(EMAIL.length - 6)}orp.io, badge [MASKED:custom.employee_id]`,
    );
    expect(
      drafted.spans.map((s) => [s.detector, s.action, drafted.text.slice(s.masked_start, s.masked_end)]),
    ).toEqual([
      ['secret.anthropic_api_key', 'redact', '[MASKED:secret.anthropic_api_key]'],
      ['pii.email', 'partial', `${'•'.repeat(EMAIL.length - 6)}orp.io`],
      ['custom.employee_id', 'redact', '[MASKED:custom.employee_id]'],
    ]);
    expect(drafted.version).not.toBe(now.version);
    expect(drafted.effective.detectors[0]).toMatchObject({ id: 'custom.employee_id', category: 'custom' });
    // Previewing changes nothing.
    expect(test.engine.policy.current().version).toBe(now.version);

    const bad = await call<ErrorResponse>('POST', '/api/policy/preview', {
      text,
      draft: { custom: [{ id: 'custom.x', pattern: '(' }], detectors: { 'pii.nope': { enabled: false } } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_policy');
    expect(bad.body.error.issues?.map((i) => i.path)).toEqual(['custom[0].pattern', 'detectors["pii.nope"]']);
  });

  it('tries a draft on the recorded sessions: what it masks beyond the policy in force, shown masked', async () => {
    const draft = { custom: [EMPLOYEE_RULE] };
    const tried = await ok<PolicyTryResponse>('POST', '/api/policy/try', { draft, sessions: 20 });
    expect(tried.sessions).toBe(2);
    expect(tried.truncated).toBe(false);
    expect(tried.current_version).toBe(test.engine.policy.current().version);
    expect(tried.additional.map((a) => a.detector)).toEqual(['custom.employee_id']);
    const found = tried.additional[0]!;
    expect(found.count).toBeGreaterThanOrEqual(1);
    const example = found.examples[0]!;
    expect(example.text.slice(example.start, example.end)).toBe('[MASKED:custom.employee_id]');
    expect(example.text).toContain('[MASKED:pii.email]');
    expect(JSON.stringify(tried)).not.toContain(EMPLOYEE);
    expect(JSON.stringify(tried)).not.toContain(EMAIL);
    expect(tried.no_longer).toEqual([]);

    const looser = await ok<PolicyTryResponse>('POST', '/api/policy/try', {
      draft: { detectors: { 'pii.email': { enabled: false } } },
    });
    expect(looser.additional).toEqual([]);
    expect(looser.no_longer.map((n) => n.detector)).toEqual(['pii.email']);
    expect(JSON.stringify(looser)).not.toContain(EMAIL);

    const oneSession = await ok<PolicyTryResponse>('POST', '/api/policy/try', { draft, sessions: 1 });
    expect(oneSession.sessions).toBe(1);
    expect(oneSession.additional).toEqual([]); // the newest session holds no employee id
  });

  it('applies a draft: policy.json written, policy.changed recorded via api, the new version in force', async () => {
    const before = await ok<PolicyResponse>('GET', '/api/policy');
    const invalid = await call<ErrorResponse>('PUT', '/api/policy', {
      document: { columns: [{ match: 'x' }] },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.issues?.[0]?.path).toBe('columns[0].action');
    expect(existsSync(join(test.home, 'policy.json'))).toBe(false);
    const stale = await call<ErrorResponse>('PUT', '/api/policy', {
      document: {},
      base_version: '000000000000',
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');
    const eventsBefore = policyEvents().length;

    const document = { custom: [EMPLOYEE_RULE] };
    const applied = await ok<PolicyApplyResponse>('PUT', '/api/policy', {
      document,
      base_version: before.version,
    });
    expect(applied.previous).toBe(before.version);
    expect(applied.version).not.toBe(before.version);
    expect(applied.changes.map((c) => c.path)).toContain('/custom/custom.employee_id');
    expect(test.engine.policy.current().version).toBe(applied.version);
    expect(JSON.parse(readFileSync(join(test.home, 'policy.json'), 'utf8'))).toEqual(document);
    const events = policyEvents();
    expect(events).toHaveLength(eventsBefore + 1);
    expect(events.at(-1)!.payload).toMatchObject({
      via: 'api',
      version: applied.version,
      previous: before.version,
    });

    const after = await ok<PolicyResponse>('GET', '/api/policy');
    expect(after.version).toBe(applied.version);
    expect(JSON.parse(after.written!)).toEqual(document);
    expect(after.effective.detectors[0]).toMatchObject({ id: 'custom.employee_id', enabled: true });
    const masked = await ok<PolicyPreviewResponse>('POST', '/api/policy/preview', {
      text: `badge ${EMPLOYEE}`,
    });
    expect(masked.text).toBe('badge [MASKED:custom.employee_id]');
  });
});
