/**
 * `findAll` as a whole: findings in order of position, overlaps settled by list order (secrets before personal
 * data), the keyword prefilter never hiding a finding (compared with running every detector on every text),
 * custom patterns from a policy, and a realistic text full of look-alikes that must yield nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_DETECTORS,
  CustomPatternError,
  compileDetectors,
  customDetector,
  findAll,
} from '../../proxy/policy/detectors/index.js';
import type { Detector, Finding } from '../../proxy/policy/masking/types.js';
import { findings } from '../helpers/detector-corpus.js';
import { ALNUM, fake, random } from '../helpers/fake-secrets.js';

/** Every detector run on the whole text, without the prefilter; overlaps settled the same way. */
function bruteForce(text: string, detectors: readonly Detector[]): Finding[] {
  const found: Finding[] = [];
  for (const d of detectors) {
    for (const r of d.find(text)) {
      if (found.some((f) => f.start < r.end && r.start < f.end)) continue;
      found.push({ detector: d.id, start: r.start, end: r.end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** A Claude Code-like request body with secrets and personal data planted in tool results. */
function plantedRequest(): string {
  const planted = [
    `ANTHROPIC_API_KEY=${fake.anthropic()}`,
    `GITHUB_TOKEN=${fake.githubToken()}`,
    `aws_access_key_id=${fake.awsAccessKeyId()}\naws_secret_access_key=${fake.awsSecretAccessKey()}`,
    `DATABASE_URL=postgres://app:${random(ALNUM, 18)}@db.internal:5432/app`,
    `Authorization: Bearer ${fake.jwt()}`,
    `customer ${fake.email()} ${fake.usPhone()} card ${fake.card()} iban ${fake.iban()}`,
    `ssn ${fake.ssn()} from ${fake.publicIPv4()}`,
    fake.opensshPem(),
    `Slack ${fake.slackWebhook()} ${fake.slackBotToken()} stripe ${fake.stripe()} ${fake.sendgrid()}`,
    `TWILIO_AUTH_TOKEN=${random('0123456789abcdef', 32)} npm ${fake.npm()} ${fake.pypi()} ${fake.dockerHub()}`,
    `hf ${fake.huggingFace()} dbx ${fake.databricks()} ${fake.googleApiKey()} ${fake.gitlabToken()}`,
    `API_KEY="${fake.password(40)}" and the SAS ?sv=2022-11-02&sig=${fake.azureSasSignature()}`,
  ];
  return JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    messages: planted.map((content, i) => ({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: `toolu_${i}`, content: `$ cat notes.txt\n${content}\nOK` },
      ],
    })),
  });
}

describe('findAll', () => {
  it('returns findings in order of position, secrets and personal data mixed', () => {
    const mail = fake.email();
    const token = fake.githubToken();
    const text = `mail ${mail} then token ${token} then ip ${fake.publicIPv4()}`;
    const found = findAll(text, BUILTIN_DETECTORS);
    expect(found.map((f) => f.detector)).toEqual(['pii.email', 'secret.github_token', 'pii.ip_address']);
    expect(found.map((f) => f.start)).toEqual([...found.map((f) => f.start)].sort((a, b) => a - b));
  });

  it('settles overlaps by list order: the first detector wins and the other finding is dropped whole', () => {
    const password = random(ALNUM, 20);
    const text = `mongodb://svc:${password}@cluster0.example.net/db`;
    // The password and `password@cluster0.example.net` (an email shape) overlap: the secret detector is first.
    expect(findings(text)).toEqual([`secret.url_password: ${password}`]);
    const emailFirst = [...BUILTIN_DETECTORS.filter((d) => d.id === 'pii.email'), ...BUILTIN_DETECTORS];
    expect(findings(text, emailFirst)).toEqual([`pii.email: ${password}@cluster0.example.net`]);
  });

  it('finds with the prefilter exactly what every detector finds without it', () => {
    for (let i = 0; i < 5; i++) {
      const text = plantedRequest();
      const expected = bruteForce(text, BUILTIN_DETECTORS);
      expect(findAll(text, BUILTIN_DETECTORS)).toEqual(expected);
      // Another list of the same detectors takes the per-call path; a compiled one builds its own index.
      expect(findAll(text, [...BUILTIN_DETECTORS])).toEqual(expected);
      expect(compileDetectors(BUILTIN_DETECTORS).findAll(text)).toEqual(expected);
    }
  });

  it('finds every planted value of a request (25 kinds in one body)', () => {
    const ids = new Set(findAll(plantedRequest(), BUILTIN_DETECTORS).map((f) => f.detector));
    expect([...ids].sort()).toEqual(
      [
        'pii.card',
        'pii.email',
        'pii.iban',
        'pii.ip_address',
        'pii.phone',
        'pii.us_ssn',
        'secret.anthropic_api_key',
        'secret.assignment',
        'secret.aws_access_key_id',
        'secret.aws_secret_access_key',
        'secret.azure_sas_token',
        'secret.databricks_token',
        'secret.docker_hub_token',
        'secret.github_token',
        'secret.gitlab_token',
        'secret.google_api_key',
        'secret.huggingface_token',
        'secret.jwt',
        'secret.npm_token',
        'secret.private_key',
        'secret.pypi_token',
        'secret.sendgrid_api_key',
        'secret.slack_token',
        'secret.slack_webhook_url',
        'secret.stripe_key',
        'secret.twilio_api_key',
        'secret.url_password',
      ].sort(),
    );
  });

  it('runs a detector whose keyword appears in another case, or only inside a longer keyword', () => {
    const calls: string[] = [];
    const probe = (id: string, keywords: string[]): Detector => ({
      id,
      category: 'custom',
      description: id,
      keywords,
      find: () => {
        calls.push(id);
        return [];
      },
    });
    const list = [
      probe('custom.short', ['sk-']),
      probe('custom.long', ['sk-ant-']),
      probe('custom.ab', ['ab']),
      probe('custom.bc', ['bc']),
    ];
    findAll('key SK-ANT-abc', list);
    expect(calls.sort()).toEqual(['custom.ab', 'custom.bc', 'custom.long', 'custom.short']);
    calls.length = 0;
    findAll('nothing to see', list);
    expect(calls).toEqual([]);
    // Beside the built-ins, whose keywords (`sk-ant-`) are compiled apart from the list's own (`sk-`, `ab`).
    calls.length = 0;
    const key = fake.anthropic();
    expect(findings(`key ${key}`, [...list, ...BUILTIN_DETECTORS])).toEqual([
      `secret.anthropic_api_key: ${key}`,
    ]);
    expect(calls).toContain('custom.short');
    expect(calls).toContain('custom.long');
  });

  it('ignores ranges a detector reports outside the text or empty', () => {
    const broken: Detector = {
      id: 'custom.broken',
      category: 'custom',
      description: 'broken',
      keywords: [],
      find: () => [
        { start: 3, end: 3 },
        { start: -1, end: 2 },
        { start: 5, end: 999 },
        { start: 0, end: 4 },
      ],
    };
    expect(findAll('text here', [broken])).toEqual([{ detector: 'custom.broken', start: 0, end: 4 }]);
  });

  it('reports nothing in a realistic text full of look-alikes', () => {
    const text = [
      '{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","model":"claude-sonnet-4-5","usage":{"input_tokens":2095,"output_tokens":503},',
      '"request_id":"req_011CPVpfT8xT6nRjRtWpZg6q","uuid":"550e8400-e29b-41d4-a716-446655440000"}',
      'commit 9fceb02d0ae598e95dc970b74767f19372d61af8',
      'Author: <redacted> Date: Thu May 1 12:00:00 2025 +0200',
      'order #100245 total 1299.99 EUR placed 2025-05-01T09:15:27.512Z (1746090927512)',
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAGXRFWHRTb2Z0d2FyZQBBZG9iZSBJbWFnZVJlYWR5ccllPAAAAyRpVFh0WE1MOmNvbS5hZG9iZS54bXAAAAAAADw/eHBhY2tldCBiZWdpbj0i',
      'node v20.19.2, npm 10.8.2, typescript@5.9.3, Chrome/124.0.6367.91',
      'export ANTHROPIC_API_KEY=sk-ant-xxxx   # get one from the Console',
      'password=changeme',
      'listening on http://127.0.0.1:8787 and 0.0.0.0:6432, upstream 10.12.0.7',
      'const max_tokens = 32000; const token_count = countTokens(prompt);',
      'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
      'color: #ff8800; margin: 0 12px 24px 12px; z-index: 2147483647;',
      'cargo 1.78.0 (54d8815d0 2024-03-26), rustc 1.78.0',
    ].join('\n');
    expect(findings(text)).toEqual([]);
  });
});

describe('custom patterns', () => {
  it('builds a detector from a policy pattern, with keywords and the u flag', () => {
    const detector = customDetector({ id: 'employee_id', pattern: 'EMP-\\d{6}', keywords: ['emp-'] });
    expect(detector.id).toBe('custom.employee_id');
    expect(detector.category).toBe('custom');
    expect(findings('ticket by EMP-004211 and emp-1', [detector])).toEqual([
      'custom.employee_id: EMP-004211',
    ]);
    expect(customDetector({ id: 'custom.word', pattern: '\\p{Lu}\\p{Ll}+sson' }).id).toBe('custom.word');
    expect(
      findings('Kontakt: Åsa Karlsson', [
        customDetector({ id: 'custom.word', pattern: '\\p{Lu}\\p{Ll}+sson' }),
      ]),
    ).toEqual(['custom.word: Karlsson']);
  });

  it('comes before or after the built-ins as the list puts it', () => {
    const internal = customDetector({
      id: 'corp_mail',
      pattern: '[a-z]+@corp\\.example',
      keywords: ['@corp'],
    });
    const text = 'write to ann@corp.example';
    expect(findings(text, [internal, ...BUILTIN_DETECTORS])).toEqual(['custom.corp_mail: ann@corp.example']);
    expect(findings(text, [...BUILTIN_DETECTORS, internal])).toEqual(['pii.email: ann@corp.example']);
  });

  it('refuses an invalid expression, one that can match the empty string, a bad id or an empty keyword', () => {
    const refuse = (definition: Parameters<typeof customDetector>[0], field: string) => {
      expect(() => customDetector(definition)).toThrow(CustomPatternError);
      try {
        customDetector(definition);
      } catch (err) {
        expect((err as CustomPatternError).field).toBe(field);
        expect((err as Error).message).toMatch(new RegExp(`^${field}: `));
      }
    };
    refuse({ id: 'x', pattern: '(unclosed' }, 'pattern');
    refuse({ id: 'x', pattern: '\\p{NotAProperty}' }, 'pattern');
    for (const empty of ['a*', '\\b', '(?:)', 'x?', '^', '$', '(?=a)|b*', '[0-9]{0,3}'])
      refuse({ id: 'x', pattern: empty }, 'pattern');
    refuse({ id: 'x', pattern: '' }, 'pattern');
    refuse({ id: 'has space', pattern: 'a' }, 'id');
    refuse({ id: 'custom.', pattern: 'a' }, 'id');
    refuse({ id: 'x', pattern: 'a', keywords: [''] }, 'keywords');
  });
});
