import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_DETECTORS } from '../../proxy/policy/detectors/index.js';
import type { EffectivePolicy } from '../../proxy/policy/effective.js';
import type { MaskedText } from '../../proxy/policy/masking/types.js';
import { runCli } from '../helpers/cli.js';
import { tempHome } from '../helpers/engine.js';

/** An Anthropic API key in its documented shape (sk-ant-api03-, 93 characters, AA), random each run. */
const ANTHROPIC_KEY = `sk-ant-api03-${randomBytes(80).toString('base64url').slice(0, 93)}AA`;
const PASTED = `Here is my .env:\nANTHROPIC_API_KEY=${ANTHROPIC_KEY}\nSUPPORT=maria.gonzalez@acme-corp.io\n`;

describe('glassbox mask and glassbox policy', () => {
  const home = tempHome();
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('masks a pasted text by the policy in force, from standard input or a file', () => {
    const result = runCli(home, ['mask'], {}, PASTED);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      'Here is my .env:\nANTHROPIC_API_KEY=[MASKED:secret.anthropic_api_key]\nSUPPORT=[MASKED:pii.email]\n',
    );
    const file = join(home, 'pasted.txt');
    writeFileSync(file, PASTED);
    expect(runCli(home, ['mask', file]).stdout).toBe(result.stdout);
    expect(runCli(home, ['mask', '-'], {}, PASTED).stdout).toBe(result.stdout);
  });

  it('prints the masked text with its spans and counts as JSON', () => {
    const result = runCli(home, ['mask', '--json'], {}, PASTED);
    const masked = JSON.parse(result.stdout) as MaskedText;
    expect(masked.text).not.toContain(ANTHROPIC_KEY);
    expect(masked.counts).toEqual({ 'secret.anthropic_api_key': 1, 'pii.email': 1 });
    expect(masked.spans.map((s) => [s.detector, PASTED.slice(s.start, s.end), s.action])).toEqual([
      ['secret.anthropic_api_key', ANTHROPIC_KEY, 'redact'],
      ['pii.email', 'maria.gonzalez@acme-corp.io', 'redact'],
    ]);
  });

  it('checks a policy file: valid with a summary, or exit 2 naming each field and the fix', () => {
    const good = join(home, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({ detectors: { 'pii.*': { action: 'hash' } }, outbound: { enabled: true } }),
    );
    const valid = runCli(home, ['policy', 'check', good]);
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stdout).toMatch(
      new RegExp(
        `good\\.json: valid\\n {2}${BUILTIN_DETECTORS.length} detectors on, 0 custom patterns, 0 column rules, .*outbound on`,
      ),
    );

    const bad = join(home, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ columns: [{ match: 'email', action: 'mask', wire: 1 }], colums: [] }),
    );
    const invalid = runCli(home, ['policy', 'check', bad]);
    expect(invalid.status).toBe(2);
    expect(invalid.stderr).toContain(`Invalid policy in ${bad}:`);
    expect(invalid.stderr).toContain(
      'columns[0].action: must be one of "redact", "partial", "hash", "null", "none"',
    );
    expect(invalid.stderr).toContain('columns[0].wire: must be true or false');
    expect(invalid.stderr).toContain('(top level): unknown field "colums": remove it or check its spelling');

    writeFileSync(bad, '{"detectors": ');
    expect(runCli(home, ['policy', 'check', bad]).stderr).toMatch(/\(file\): not valid JSON/);
    expect(runCli(home, ['policy', 'check', join(home, 'missing.json')]).status).toBe(2);
    expect(runCli(home, ['policy', 'check']).stdout).toContain('the built-in default policy applies');
  });

  it('shows the policy in force, defaults included, as a list and as JSON', () => {
    const defaults = runCli(home, ['policy', 'show']);
    expect(defaults.status, defaults.stderr).toBe(0);
    expect(defaults.stdout).toContain('the built-in default (no policy.json)');
    expect(defaults.stdout).toMatch(/on {3}redact +secret\.anthropic_api_key +Anthropic API key/);
    expect(defaults.stdout).toContain(
      'Sensitive column names (whole words at the end of a name): redact, in storage only',
    );
    expect(defaults.stdout).toContain('Outbound to the Anthropic API: off');

    writeFileSync(
      join(home, 'policy.json'),
      JSON.stringify({
        detectors: { 'pii.email': { enabled: false } },
        custom: [{ id: 'custom.employee', pattern: 'EMP-\\d{6}', keywords: ['EMP-'], action: 'hash' }],
        columns: [{ match: 'customers.email', connection: 'prod', action: 'null', wire: true }],
        outbound: { enabled: true },
      }),
    );
    const shown = runCli(home, ['policy', 'show']).stdout;
    expect(shown).toContain(join(home, 'policy.json'));
    expect(shown).toMatch(/off +pii\.email/);
    expect(shown).toMatch(/on {3}hash +custom\.employee/);
    expect(shown).toMatch(/secret\.anthropic_api_key .*\+ outbound/);
    expect(shown).toContain('custom.employee  /EMP-\\d{6}/  hash  only with: EMP-');
    expect(shown).toContain('customers.email on connection prod: null, in storage and on the wire');
    expect(shown).toMatch(/Outbound to the Anthropic API: on, .*secret\.anthropic_api_key/);

    const json = JSON.parse(runCli(home, ['policy', 'show', '--json']).stdout) as EffectivePolicy;
    expect(json.detectors.find((d) => d.id === 'pii.email')).toMatchObject({ enabled: false });
    // Outbound on without a list: every secret detector.
    const secrets = BUILTIN_DETECTORS.filter((d) => d.category === 'secret').map((d) => d.id);
    expect(json.outbound).toEqual({ enabled: true, detectors: expect.arrayContaining(secrets) });
    expect(json.outbound.detectors).toHaveLength(secrets.length);
    // `mask` uses this policy too: emails are no longer masked, employee numbers are hashed.
    const masked = runCli(home, ['mask'], {}, 'EMP-123456 maria.gonzalez@acme-corp.io').stdout;
    expect(masked).toMatch(/^hash:[0-9a-f]{8} maria\.gonzalez@acme-corp\.io$/);
  });

  it('shows guard rules in order (the file rules, then the built-in ones) and the approvals settings', () => {
    rmSync(join(home, 'policy.json'), { force: true });
    const defaults = runCli(home, ['policy', 'show']);
    expect(defaults.status, defaults.stderr).toBe(0);
    expect(defaults.stdout).toMatch(
      /guardrails on, 19 guard rules \(19 built-in\), approvals hold, expire after 5m/,
    );
    expect(defaults.stdout).toMatch(
      /\n {2}approve +pg\.delete-without-where +\(built-in\) DELETE without a WHERE clause deletes every row of the table\n +when sql: effect=delete noWhere=true\n/,
    );
    expect(defaults.stdout).toContain(
      'Approvals: hold the operation until decided; expire after 5m; "for the session" lasts 15m; engine not running: deny',
    );

    const file = join(home, 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        guardrails: {
          rules: [
            {
              id: 'prod.orders-read-only',
              action: 'block',
              message: 'orders are read-only on prod',
              match: { sql: { tables: ['public.orders'], tablesIn: 'writes' }, connection: ['prod'] },
            },
            { id: 'pg.ddl', action: 'allow' },
          ],
        },
        approvals: { mode: 'retry', timeout: '90s' },
      }),
    );
    const shown = runCli(home, ['policy', 'show']).stdout;
    const ids = [...shown.matchAll(/^ {2}(?:allow|flag|block|approve) +(\S+)/gm)].map((m) => m[1]);
    expect(ids.slice(0, 3)).toEqual(['prod.orders-read-only', 'pg.ddl', 'pg.drop']);
    expect(ids.filter((id) => id === 'pg.ddl')).toHaveLength(1);
    expect(shown).toContain('when sql: tables=public.orders tablesIn=writes, connection=prod');
    expect(shown).toContain(
      'Approvals: refuse at once, let it through once when approved (retry); expire after 1m30s',
    );
    const json = JSON.parse(runCli(home, ['policy', 'show', '--json']).stdout) as EffectivePolicy;
    expect(json.guardrails.rules[0]).toEqual({
      id: 'prod.orders-read-only',
      action: 'block',
      message: 'orders are read-only on prod',
      match: { sql: { tables: ['public.orders'], tablesIn: 'writes' }, connection: ['prod'] },
      builtin: false,
    });
    expect(json.guardrails.rules[1]).toMatchObject({ id: 'pg.ddl', action: 'allow', builtin: false });
    expect(json.approvals).toEqual({
      mode: 'retry',
      timeoutMs: 90_000,
      sessionScopeMs: 900_000,
      engineDown: 'deny',
    });
    expect(runCli(home, ['policy', 'check']).stdout).toContain('guardrails on, 20 guard rules (18 built-in)');

    writeFileSync(
      file,
      JSON.stringify({
        guardrails: { rules: [{ id: 'x', action: 'hold', match: { sql: { efect: 'delete' } } }] },
      }),
    );
    const invalid = runCli(home, ['policy', 'check']);
    expect(invalid.status).toBe(2);
    expect(invalid.stderr).toContain(
      'guardrails.rules[0].action: must be one of "allow", "flag", "block", "approve"',
    );
    expect(invalid.stderr).toContain('guardrails.rules[0].match.sql: unknown field "efect"');
    rmSync(file);
  });

  it('refuses to mask by an invalid policy, naming the field', () => {
    writeFileSync(join(home, 'policy.json'), JSON.stringify({ outbound: { detectors: ['secret.nope'] } }));
    const result = runCli(home, ['mask'], {}, PASTED);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('outbound.detectors[0]: no detector has the id "secret.nope"');
  });
});
