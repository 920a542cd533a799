import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../../proxy/policy/compile.js';
import { parsePolicy } from '../../proxy/policy/document.js';
import { loadMaskKey } from '../../proxy/policy/masking/mask-key.js';
import type { Detector } from '../../proxy/policy/masking/types.js';

/** Detectors with exactly known findings, so the compiled policy's own work is what is checked. */
function regexDetector(id: string, category: Detector['category'], keyword: string, re: RegExp): Detector {
  return {
    id,
    category,
    description: id,
    keywords: [keyword],
    *find(text) {
      for (const m of text.matchAll(re)) yield { start: m.index, end: m.index + m[0].length };
    },
  };
}
const DETECTORS = [
  regexDetector('secret.test_key', 'secret', 'tk_', /tk_[a-z0-9]{12}/g),
  regexDetector('pii.email', 'pii', '@', /[a-z.]+@[a-z]+\.[a-z]+/g),
  regexDetector('pii.payment_card', 'pii', '4', /\b4[0-9]{15}\b/g),
  regexDetector('pii.phone', 'pii', '+', /\+[0-9]{11}/g),
];

const home = mkdtempSync(join(tmpdir(), 'glassbox-policy-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const hashKey = randomBytes(32);

function compile(raw: unknown = {}, key = hashKey) {
  return compilePolicy(parsePolicy(raw, 'policy.json', DETECTORS), { hashKey: key, detectors: DETECTORS });
}

describe('the compiled policy masks text', () => {
  it('applies the default actions with spans in original offsets and counts per detector', () => {
    const text = 'key tk_abcdef123456 for ana@corp.io, card 4111111111111111, call +14155550132, ana@corp.io';
    const masked = compile().text.mask(text);
    expect(masked.text).toBe(
      'key [MASKED:secret.test_key] for [MASKED:pii.email], card ••••••••••••1111, call ••••••••0132, [MASKED:pii.email]',
    );
    expect(masked.counts).toEqual({
      'secret.test_key': 1,
      'pii.email': 2,
      'pii.payment_card': 1,
      'pii.phone': 1,
    });
    for (const span of masked.spans) {
      expect(text.slice(span.start, span.end)).toMatch(/^(tk_|ana@|4111|\+1)/);
    }
    expect(masked.spans.map((s) => [s.detector, s.action])).toEqual([
      ['secret.test_key', 'redact'],
      ['pii.email', 'redact'],
      ['pii.payment_card', 'partial'],
      ['pii.phone', 'partial'],
      ['pii.email', 'redact'],
    ]);
  });

  it('returns a text with nothing to mask as it is', () => {
    const text = 'nothing sensitive here';
    expect(compile().text.mask(text)).toEqual({ text, spans: [], counts: {} });
  });

  it('hashes equal values equally under one key, differently under another, and never reveals them', () => {
    const policy = compile({ detectors: { 'pii.email': { action: 'hash' } } });
    const a = policy.text.mask('from ana@corp.io to bob@corp.io cc ana@corp.io').text;
    const [first, second, third] = a.match(/hash:[0-9a-f]{8}/g) ?? [];
    expect(first).toBe(third);
    expect(first).not.toBe(second);
    expect(a).not.toContain('ana@');
    const other = compile({ detectors: { 'pii.email': { action: 'hash' } } }, randomBytes(32));
    expect(other.text.mask('ana@corp.io').text).not.toBe(first);
  });

  it('keeps the last N characters for partial only when the value has at least 2N', () => {
    const policy = compile();
    expect(policy.maskValue('4111111111111111', { type: 'partial', keep: 4 }, 'x')).toBe('••••••••••••1111');
    expect(policy.maskValue('12345678', { type: 'partial', keep: 4 }, 'x')).toBe('••••5678');
    expect(policy.maskValue('1234567', { type: 'partial', keep: 4 }, 'x')).toBe('•••••••');
    expect(policy.maskValue('naïve café ☕☕', { type: 'partial', keep: 2 }, 'x')).toBe(
      `${'•'.repeat(11)}☕☕`,
    );
    expect(policy.maskValue('secret', { type: 'null' }, 'column.password')).toBe('[MASKED:column.password]');
  });

  it('runs custom patterns before the built-in detectors, with their own id, action and keywords', () => {
    const policy = compile({
      custom: [
        { id: 'custom.employee', pattern: 'EMP-[0-9]{6}', keywords: ['emp-'], action: 'hash' },
        { id: 'custom.corp_mail', pattern: '[a-z]+@corp\\.io', action: 'redact' },
      ],
      detectors: { 'secret.*': { enabled: false } },
    });
    const masked = policy.text.mask('EMP-004211 wrote to ana@corp.io, not ana@other.org; tk_abcdef123456');
    expect(masked.text).toMatch(
      /^hash:[0-9a-f]{8} wrote to \[MASKED:custom\.corp_mail\], not \[MASKED:pii\.email\]; tk_abcdef123456$/,
    );
    expect(masked.counts).toEqual({ 'custom.employee': 1, 'custom.corp_mail': 1, 'pii.email': 1 });
  });

  it('masks outbound only when it is on, with the outbound detectors', () => {
    expect(compile().outbound).toBeNull();
    const policy = compile({ outbound: { enabled: true } });
    expect(policy.outbound?.mask('tk_abcdef123456 ana@corp.io').text).toBe(
      '[MASKED:secret.test_key] ana@corp.io',
    );
    expect(policy.text.mask('tk_abcdef123456 ana@corp.io').text).toBe(
      '[MASKED:secret.test_key] [MASKED:pii.email]',
    );
  });
});

describe('the compiled policy masks JSON', () => {
  it('masks every string, leaves keys alone and shares every unchanged subtree', () => {
    const untouched = { role: 'assistant', content: [{ type: 'text', text: 'hello' }] };
    const tools = [{ name: 'read', input: { path: '/etc/hosts' } }];
    const body = {
      'ana@corp.io': 'a key, not masked',
      model: 'claude',
      messages: [
        untouched,
        { role: 'user', content: [{ type: 'text', text: 'mail ana@corp.io' }, { n: 1 }] },
      ],
      tools,
    };
    const before = JSON.stringify(body);
    const { value, counts } = compile().maskJson(body);
    expect(JSON.stringify(body)).toBe(before);
    expect(value).not.toBe(body);
    expect(value['ana@corp.io']).toBe('a key, not masked');
    expect(value.messages[1]?.content[0]).toEqual({ type: 'text', text: 'mail [MASKED:pii.email]' });
    expect(value.messages[0]).toBe(untouched);
    expect(value.messages[1]?.content[1]).toBe(body.messages[1]?.content[1]);
    expect(value.tools).toBe(tools);
    expect(counts).toEqual({ 'pii.email': 1 });
  });

  it('returns a value with nothing to mask itself, and masks a bare string', () => {
    const body = { a: [1, 'two', { b: null, c: true }] };
    expect(compile().maskJson(body).value).toBe(body);
    expect(compile().maskJson('x ana@corp.io')).toEqual({
      value: 'x [MASKED:pii.email]',
      counts: { 'pii.email': 1 },
    });
  });

  it('masks values nested far deeper than the call stack could recurse', () => {
    let deep: unknown = 'ana@corp.io';
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { d: deep };
    let value = compile().maskJson(deep).value;
    for (let i = 0; i < 100_000; i++) value = Array.isArray(value) ? value[0] : (value as { d: unknown }).d;
    expect(value).toBe('[MASKED:pii.email]');
  });

  it('keeps a __proto__ member a plain member', () => {
    const body = JSON.parse('{"__proto__": "ana@corp.io", "x": 1}');
    const { value } = compile().maskJson(body);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe('[MASKED:pii.email]');
  });
});

describe('column rules', () => {
  const column = (name: string, table: string | null = 'public.customers', connection = 'prod') => ({
    connection,
    table,
    name,
  });

  it('masks the default dictionary by whole words at the end of the name, in storage only', () => {
    const { columns } = compile();
    for (const name of [
      'email',
      'billing_email',
      'customerEmail',
      'EMAIL',
      'phone2',
      'access_token',
      'card_number',
    ]) {
      expect(columns(column(name)), name).toMatchObject({ action: { type: 'redact' }, wire: false });
    }
    expect(columns(column('credit_card_number'))?.rule).toBe('column.card_number');
    expect(columns(column('stripeApiKey'))?.rule).toBe('column.api_key');
    for (const name of [
      'emails_sent_count',
      'email_verified',
      'token_count',
      'tokens',
      'password_changed_at',
      'id',
    ]) {
      expect(columns(column(name)), name).toBeUndefined();
    }
  });

  it('applies rules first, in order, by connection, table, schema and glob; none exempts', () => {
    const { columns } = compile({
      columns: [
        { match: 'audit.*.email', action: 'none' },
        { match: 'customers.email', connection: 'prod', action: 'null', wire: true },
        { match: '*.card_*', action: { type: 'partial', keep: 4 }, wire: true },
        { match: 'notes', action: 'hash' },
      ],
      sensitiveColumns: { add: ['salary'], remove: ['token'] },
    });
    expect(columns(column('email'))).toEqual({
      action: { type: 'null' },
      wire: true,
      rule: 'column.customers.email',
    });
    expect(columns(column('email', 'customers', 'dev'))).toMatchObject({ rule: 'column.email', wire: false });
    expect(columns(column('email', 'audit.log'))).toBeUndefined();
    expect(columns(column('card_pan', null))).toMatchObject({ rule: 'column.*.card_*', wire: true });
    expect(columns(column('NOTES', 'public.orders'))).toMatchObject({ action: { type: 'hash' } });
    expect(columns(column('base_salary'))).toMatchObject({ rule: 'column.salary' });
    expect(columns(column('access_token'))).toBeUndefined();
    // Answers come from memory the second time, and are the same.
    expect(columns(column('email'))).toEqual(columns(column('email')));
  });

  it('masks no column when the dictionary is off and no rule matches', () => {
    const { columns } = compile({ sensitiveColumns: { enabled: false } });
    expect(columns(column('email'))).toBeUndefined();
  });
});

describe('the masking key', () => {
  it('is created once with mode 0600, read back the same, and a broken one is not replaced', () => {
    const path = join(home, 'mask.key');
    const key = loadMaskKey(path);
    expect(key).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadMaskKey(path).equals(key)).toBe(true);
    const broken = join(home, 'broken.key');
    writeFileSync(broken, 'short');
    expect(() => loadMaskKey(broken)).toThrow(/holds 5 bytes instead of a 32-byte masking key/);
  });
});
