/**
 * The vendor token detectors: each finds fake tokens built by its vendor's documented format (random on every
 * run) in JSON, logs, code, `.env` files, prose and tool results, with the token's exact range; and reports
 * none of the look-alikes (documentation placeholders, wrong checksums, truncated tokens, other vendors).
 */
import { describe, expect, it } from 'vitest';
import { contexts, findings } from '../helpers/detector-corpus.js';
import { ALNUM, fake, random } from '../helpers/fake-secrets.js';

const cases: Array<[id: string, make: () => string]> = [
  ['secret.anthropic_api_key', fake.anthropic],
  ['secret.anthropic_api_key', fake.anthropicAdmin],
  ['secret.openai_api_key', fake.openaiProject],
  ['secret.openai_api_key', fake.openaiLegacy],
  ['secret.openai_api_key', () => `sk-svcacct-${random(ALNUM, 40)}T3BlbkFJ${random(ALNUM, 40)}`],
  ['secret.aws_access_key_id', () => fake.awsAccessKeyId('AKIA')],
  ['secret.aws_access_key_id', () => fake.awsAccessKeyId('ASIA')],
  // One id in 28 has no digit; this one, drawn in CI, was once taken for "a name in capitals".
  ['secret.aws_access_key_id', () => 'ASIAAWGPEHKNWMMTZTGQ'],
  ['secret.google_api_key', fake.googleApiKey],
  ['secret.github_token', () => fake.githubToken('ghp_')],
  ['secret.github_token', () => fake.githubToken('gho_')],
  ['secret.github_token', () => fake.githubToken('ghu_')],
  ['secret.github_token', () => fake.githubToken('ghs_')],
  ['secret.github_token', () => fake.githubToken('ghr_')],
  ['secret.github_token', fake.githubFineGrained],
  ['secret.gitlab_token', () => fake.gitlabToken('glpat-')],
  ['secret.gitlab_token', () => fake.gitlabToken('gldt-')],
  ['secret.gitlab_token', () => fake.gitlabToken('glrt-')],
  ['secret.gitlab_token', () => fake.gitlabToken('glcbt-')],
  ['secret.slack_token', fake.slackBotToken],
  ['secret.slack_token', fake.slackUserToken],
  ['secret.slack_webhook_url', fake.slackWebhook],
  ['secret.stripe_key', () => fake.stripe('sk_live_')],
  ['secret.stripe_key', () => fake.stripe('rk_live_')],
  ['secret.stripe_key', () => fake.stripe('sk_test_')],
  ['secret.stripe_key', () => `whsec_${random(ALNUM, 32)}`],
  ['secret.sendgrid_api_key', fake.sendgrid],
  ['secret.npm_token', fake.npm],
  ['secret.pypi_token', fake.pypi],
  ['secret.docker_hub_token', fake.dockerHub],
  ['secret.huggingface_token', fake.huggingFace],
  ['secret.databricks_token', fake.databricks],
];

describe('vendor tokens by their documented formats', () => {
  for (const [id, make] of cases) {
    it(`${id}: ${make().slice(0, 12)}… in JSON, logs, code, .env, prose and tool results`, () => {
      for (const { name, text, expected } of contexts(make())) {
        expect(findings(text), name).toEqual([`${id}: ${expected}`]);
      }
    });
  }

  it('reads a GitLab token after an instance prefix and a routable token with its dotted parts', () => {
    const routable = `glpat-${random(ALNUM, 27)}.01.${random('0123456789abcdefghijklmnopqrstuvwxyz', 9)}`;
    expect(findings(`GITLAB=${routable}`)).toEqual([`secret.gitlab_token: ${routable}`]);
    const prefixed = `SIE-${fake.gitlabToken()}`;
    expect(findings(`token ${prefixed}.`)).toEqual([`secret.gitlab_token: ${prefixed.slice(4)}`]);
  });

  it('finds Twilio SIDs and their secrets only in a text that names Twilio', () => {
    const key = fake.twilioApiKeySid();
    const account = fake.twilioAccountSid();
    const secret = fake.twilioSecret();
    const curl = `curl -X POST https://api.twilio.com/2010-04-01/Accounts/${account}/Messages.json -u ${key}:${secret}`;
    expect(findings(curl)).toEqual([
      `secret.twilio_api_key: ${account}`,
      `secret.twilio_api_key: ${key}`,
      `secret.twilio_api_key: ${secret}`,
    ]);
    const env = `TWILIO_ACCOUNT_SID=${account}\nTWILIO_AUTH_TOKEN=${random('0123456789abcdef', 32)}\n`;
    expect(findings(env).map((f) => f.split(':')[0])).toEqual([
      'secret.twilio_api_key',
      'secret.twilio_api_key',
    ]);
    // The same 34-character shapes without Twilio in sight: a SID-like hex id is not reported.
    expect(findings(`build ${key} finished`)).toEqual([]);
  });

  it('reports none of the look-alikes: placeholders, wrong checksums, truncated or foreign tokens', () => {
    const good = fake.githubToken();
    const badChecksum = good.slice(0, -1) + (good.endsWith('A') ? 'B' : 'A');
    const npm = fake.npm();
    const lookalikes = [
      'export ANTHROPIC_API_KEY=sk-ant-xxxx',
      `ANTHROPIC_API_KEY=sk-ant-api03-${'x'.repeat(93)}AA`,
      'OPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `the fixture uses ${badChecksum} as a token`,
      'GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      `the fixture uses ${npm.slice(0, -1)}${npm.endsWith('0') ? '1' : '0'}`,
      'SLACK_BOT_TOKEN=xoxb-your-bot-token-here',
      'SLACK_WEBHOOK=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
      'STRIPE=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx',
      'stripe publishable key pk_live_51H8s7dKZ1b2c3d4e5f6g7h8i9j0 is public by design',
      'HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'from huggingface_hub import hf_hub_download',
      'PYPI=pypi-AgEIcHlwaS5vcmc',
      `pypi-Ag${random(ALNUM, 60)}`, // the right prefix, but not a macaroon
      'DATABRICKS_TOKEN=dapi00000000000000000000000000000000',
      'const msg.content = "SG.x"',
      `task-proj-${random(ALNUM, 30)}`,
      `disk-${'a'.repeat(40)}`,
    ];
    for (const text of lookalikes) expect(findings(text), text).toEqual([]);
  });
});
