import { describe, expect, it } from 'vitest';
import { defaultPolicy, PolicyError, type PolicyIssue, parsePolicy } from '../../proxy/policy/document.js';
import { effectivePolicy } from '../../proxy/policy/effective.js';
import type { Detector } from '../../proxy/policy/masking/types.js';
import { diffPolicies } from '../../proxy/policy/policy-diff.js';

/** A stand-in detector set with the kinds the default policy treats differently. */
const detector = (id: string, category: Detector['category']): Detector => ({
  id,
  category,
  description: id,
  keywords: [],
  find: () => [],
});
const DETECTORS = [
  detector('secret.anthropic_api_key', 'secret'),
  detector('secret.aws_access_key_id', 'secret'),
  detector('pii.email', 'pii'),
  detector('pii.phone', 'pii'),
  detector('pii.payment_card', 'pii'),
];

function issues(raw: unknown): PolicyIssue[] {
  try {
    parsePolicy(raw, 'policy.json', DETECTORS);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues;
  }
  throw new Error('the document was accepted');
}

describe('the policy document', () => {
  it('accepts an empty document and fills in every default', () => {
    const doc = parsePolicy({}, 'policy.json', DETECTORS);
    expect(doc).toEqual(defaultPolicy());
    expect(doc).toMatchObject({
      version: 1,
      detectors: {},
      custom: [],
      columns: [],
      sensitiveColumns: { enabled: true, action: { type: 'redact' }, wire: false, add: [], remove: [] },
      outbound: { enabled: false, detectors: ['secret.*'] },
    });
  });

  it('accepts a document with every field, actions as words or objects', () => {
    const doc = parsePolicy(
      {
        version: 1,
        detectors: {
          'pii.email': { action: 'hash' },
          'pii.*': { enabled: false },
          'secret.aws_access_key_id': { action: { type: 'partial', keep: 6 } },
        },
        custom: [
          {
            id: 'custom.employee_id',
            description: 'Employee number',
            pattern: 'EMP-[0-9]{6}',
            flags: 'i',
            keywords: ['emp-'],
            action: 'partial',
          },
        ],
        columns: [
          { match: 'customers.email', connection: 'prod', action: 'null', wire: true },
          { match: 'audit.*_token', action: 'none' },
        ],
        sensitiveColumns: { action: 'hash', add: ['salary'], remove: ['token'] },
        outbound: { enabled: true, detectors: ['secret.*', 'custom.employee_id'] },
      },
      'policy.json',
      DETECTORS,
    );
    expect(doc.detectors['secret.aws_access_key_id']?.action).toEqual({ type: 'partial', keep: 6 });
    expect(doc.custom[0]?.action).toEqual({ type: 'partial', keep: 4 });
    expect(doc.columns[0]).toEqual({
      match: 'customers.email',
      connection: 'prod',
      action: { type: 'null' },
      wire: true,
    });
    expect(doc.columns[1]).toEqual({ match: 'audit.*_token', action: { type: 'none' }, wire: false });
  });

  it('names the field and the fix for each problem', () => {
    const found = issues({
      version: 2,
      detectors: { 'pii.emial': { action: 'redact' }, 'pii.email': { action: 'scramble', on: true } },
      custom: [
        { id: 'order', pattern: '(' },
        { id: 'custom.any', pattern: 'x*' },
      ],
      columns: [{ match: 'a.b.c.d', action: 'redact', wire: 'yes' }],
      outbound: { enabled: true, detectors: ['secret.nope'] },
      extra: 1,
    });
    const byPath = Object.fromEntries(found.map((i) => [i.path, i.message]));
    expect(byPath.version).toMatch(/must be 1 .*Upgrade Glassbox/);
    expect(byPath['detectors["pii.email"]']).toMatch(/unknown field "on".*fields here: enabled, action/);
    expect(byPath['detectors["pii.email"].action']).toMatch(/must be one of "redact", "partial", "hash"/);
    expect(byPath['custom[0].id']).toMatch(/must be "custom\." followed by/);
    expect(byPath['columns[0].match']).toMatch(/"column", "table.column" or "schema.table.column"/);
    expect(byPath['columns[0].wire']).toBe('must be true or false');
    expect(byPath['(top level)']).toMatch(/unknown field "extra"/);
    // Cross-checks run once the structure is right.
    const second = issues({
      detectors: { 'pii.emial': {} },
      custom: [
        { id: 'custom.a', pattern: '(' },
        { id: 'custom.b', pattern: 'x*' },
        { id: 'custom.b', pattern: 'y' },
        { id: 'custom.c', pattern: '([a-z]+)*@' },
        { id: 'custom.d', pattern: '(?<=token: )[a-z0-9]{12}' },
      ],
      outbound: { detectors: ['secret.nope'] },
      sensitiveColumns: { remove: ['salary'] },
    });
    const cross = Object.fromEntries(second.map((i) => [i.path, i.message]));
    expect(cross['detectors["pii.emial"]']).toMatch(
      /no detector has the id "pii.emial"; `glassbox policy show`/,
    );
    expect(cross['custom[0].pattern']).toMatch(/not a valid regular expression/);
    expect(cross['custom[1].pattern']).toMatch(/matches the empty text/);
    expect(cross['custom[2].id']).toMatch(/"custom.b" is used twice/);
    // ([a-z]+)*@ takes seconds on 30 letters with no @: refused before it can stall the engine.
    expect(cross['custom[3].pattern']).toMatch(/exponential time.*rewrite it without the nested repetition/);
    expect(cross['custom[4].pattern']).toBeUndefined(); // a lookbehind is no repetition
    expect(cross['outbound.detectors[0]']).toMatch(/no detector has the id "secret.nope"/);
    expect(cross['sensitiveColumns.remove[0]']).toMatch(/"salary" is not in the default dictionary/);
  });

  it('refuses null where only text is masked, saying where it applies', () => {
    const found = issues({ detectors: { 'pii.email': { action: 'null' } } });
    expect(found).toEqual([
      {
        path: 'detectors["pii.email"].action',
        message: '"null" applies to PostgreSQL column rules only (a NULL on the wire); use "redact" here',
      },
    ]);
    expect(issues({ columns: [{ match: 'x' }] })[0]).toEqual({
      path: 'columns[0].action',
      message: expect.stringMatching(
        /^is required: it must be one of "redact", "partial", "hash", "null", "none"/,
      ),
    });
    expect(issues({ columns: [{ match: 'x', action: { type: 'hash', keep: 3 } }] })[0]?.message).toBe(
      '"keep" applies to "partial" only',
    );
  });

  it('puts the problems in the error message, one line each', () => {
    expect(() => parsePolicy({ custom: [{ id: 'custom.x' }] }, '/h/policy.json', DETECTORS)).toThrow(
      /^Invalid policy in \/h\/policy\.json:\n {2}custom\[0\]\.pattern: /,
    );
  });
});

describe('the effective policy', () => {
  it('is the default policy of point 8: secrets redacted, cards and phones partial, the rest redacted', () => {
    const effective = effectivePolicy(defaultPolicy(), DETECTORS);
    expect(effective.detectors).toEqual([
      {
        id: 'secret.anthropic_api_key',
        category: 'secret',
        enabled: true,
        action: { type: 'redact' },
        outbound: false,
      },
      {
        id: 'secret.aws_access_key_id',
        category: 'secret',
        enabled: true,
        action: { type: 'redact' },
        outbound: false,
      },
      { id: 'pii.email', category: 'pii', enabled: true, action: { type: 'redact' }, outbound: false },
      {
        id: 'pii.phone',
        category: 'pii',
        enabled: true,
        action: { type: 'partial', keep: 4 },
        outbound: false,
      },
      {
        id: 'pii.payment_card',
        category: 'pii',
        enabled: true,
        action: { type: 'partial', keep: 4 },
        outbound: false,
      },
    ]);
    expect(effective.sensitiveColumns).toMatchObject({
      enabled: true,
      wire: false,
      action: { type: 'redact' },
    });
    expect(effective.sensitiveColumns.names).toEqual(
      expect.arrayContaining(['email', 'card_number', 'token']),
    );
    expect(effective.outbound).toEqual({ enabled: false, detectors: [] });
  });

  it('takes a detector setting from its own entry, else its kind, else *, field by field', () => {
    const doc = parsePolicy(
      {
        detectors: {
          '*': { action: 'hash' },
          'pii.*': { enabled: false },
          'pii.email': { action: 'redact' },
        },
        outbound: { enabled: true },
      },
      'p',
      DETECTORS,
    );
    const byId = Object.fromEntries(effectivePolicy(doc, DETECTORS).detectors.map((d) => [d.id, d]));
    expect(byId['pii.email']).toMatchObject({ enabled: false, action: { type: 'redact' } });
    expect(byId['pii.phone']).toMatchObject({ enabled: false, action: { type: 'hash' } });
    expect(byId['secret.anthropic_api_key']).toMatchObject({
      enabled: true,
      action: { type: 'hash' },
      outbound: true,
    });
    expect(effectivePolicy(doc, DETECTORS).outbound.detectors).toEqual([
      'secret.anthropic_api_key',
      'secret.aws_access_key_id',
    ]);
  });

  it('versions equal policies equally however they are written, and diffs them by JSON Pointer', () => {
    const a = effectivePolicy(parsePolicy({}, 'a', DETECTORS), DETECTORS);
    const same = effectivePolicy(
      parsePolicy(
        { version: 1, detectors: { 'pii.email': { enabled: true, action: 'redact' } } },
        'b',
        DETECTORS,
      ),
      DETECTORS,
    );
    expect(same.version).toBe(a.version);
    expect(diffPolicies(a, same)).toEqual([]);
    const changed = effectivePolicy(
      parsePolicy(
        {
          detectors: { 'pii.email': { action: 'hash' } },
          custom: [{ id: 'custom.order_id', pattern: 'ORD-\\d+' }],
          columns: [{ match: 'customers.email', action: 'null', wire: true }],
        },
        'c',
        DETECTORS,
      ),
      DETECTORS,
    );
    expect(changed.version).not.toBe(a.version);
    expect(diffPolicies(a, changed)).toEqual([
      { path: '/detectors/pii.email/action', from: { type: 'redact' }, to: { type: 'hash' } },
      {
        path: '/detectors/custom.order_id',
        to: expect.objectContaining({ id: 'custom.order_id', enabled: true }),
      },
      { path: '/custom/custom.order_id', to: expect.objectContaining({ pattern: 'ORD-\\d+' }) },
      { path: '/columns/0', to: expect.objectContaining({ rule: 'column.customers.email', wire: true }) },
    ]);
  });
});
