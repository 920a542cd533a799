/**
 * API keys and tokens of AI providers, code hosts, package registries and SaaS vendors, each by the format its
 * vendor documents (the source is named on each detector). Where a vendor documents a checksum it is verified;
 * where it does not, the random part must look random ({@link looksRandom}), so documentation placeholders
 * such as `sk-ant-api03-xxxx…` are not reported.
 */
import type { Detector, TextRange } from '../masking/types.js';
import { hasBase62Crc32, isMacaroonV2 } from './checksums.js';
import { looksRandom, orderedRanges, regexDetector, standsAlone } from './kit.js';
import { type ScanDetector, scanDetector } from './scan.js';

/** The characters of `value` after its first `prefixLength` (a token without its prefix). */
const after = (value: string, prefixLength: number) => value.slice(prefixLength);

/** An OpenAI key without `sk-` and, for the prefixed kinds, without `proj-`/`svcacct-`/`admin-`/`None-`. */
function openaiBody(value: string): string {
  const dash = value.indexOf('-', 3);
  return value.slice(dash === -1 ? 3 : dash + 1);
}

/**
 * Anthropic API keys (`sk-ant-api03-…`), Admin API keys (`sk-ant-admin01-…`) and the OAuth tokens Claude Code
 * keeps (`sk-ant-oat01-…`, `sk-ant-ort01-…`): `sk-ant-`, a type and two-digit version, `-`, then base64url
 * (Anthropic Console and Admin API docs show the `sk-ant-api03-` / `sk-ant-admin01-` prefixes).
 */
export const anthropicApiKey = regexDetector({
  id: 'secret.anthropic_api_key',
  category: 'secret',
  description: 'Anthropic API key or OAuth token (sk-ant-…)',
  keywords: ['sk-ant-'],
  pattern: /sk-ant-[a-z]{3,6}\d{2}-[A-Za-z0-9_-]{32,}/g,
  startsAt: [0],
  accept: (v) => looksRandom(v.slice(v.indexOf('-', 7) + 1)),
});

/**
 * OpenAI API keys: project (`sk-proj-`), service-account (`sk-svcacct-`), admin (`sk-admin-`) and legacy user
 * keys (`sk-` + 48 characters, which embed `T3BlbkFJ`, base64 of "OpenAI", between two random halves). OpenAI's
 * API reference shows the prefixed forms in its key objects; it documents no checksum.
 */
export const openaiApiKey = regexDetector({
  id: 'secret.openai_api_key',
  category: 'secret',
  description: 'OpenAI API key (sk-proj-…, sk-svcacct-…, sk-admin-…, sk-…T3BlbkFJ…)',
  keywords: ['sk-proj-', 'sk-svcacct-', 'sk-admin-', 'sk-none-', 't3blbkfj'],
  pattern: /sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})/g,
  startsAt: [0, 23],
  accept: (v) => looksRandom(openaiBody(v)),
});

/**
 * GitHub tokens (GitHub blog, "Behind GitHub's new authentication token formats", 2021): `ghp_` personal,
 * `gho_` OAuth, `ghu_` user-to-server, `ghs_` server-to-server, `ghr_` refresh; `[A-Za-z0-9_]`, up to 255
 * characters. The 40-character form ends in a CRC32 checksum, which must hold; longer forms (GitHub reserves
 * them, and its stateless `ghs_` tokens contain dots) must look random. Fine-grained personal access tokens
 * start `github_pat_` (GitHub docs); their checksum is not documented.
 */
const GITHUB = {
  id: 'secret.github_token',
  category: 'secret',
  description: 'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)',
  keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
} as const;
export const githubToken: ScanDetector = scanDetector({
  ...GITHUB,
  findIn: (scan) => orderedRanges([...classicGithub.findIn(scan), ...fineGrainedGithub.findIn(scan)]),
});
const classicGithub = regexDetector({
  ...GITHUB,
  pattern: /gh[pousr]_[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*/g,
  startsAt: [0],
  accept: (v) => {
    const body = after(v, 4);
    if (body.length < 36 || body.length > 1000) return false;
    return body.length === 36 && /^[A-Za-z0-9]+$/.test(body) ? hasBase62Crc32(body) : looksRandom(body);
  },
});
const fineGrainedGithub = regexDetector({
  ...GITHUB,
  pattern: /github_pat_[A-Za-z0-9_]{40,255}/g,
  startsAt: [0],
  accept: (v) => looksRandom(after(v, 11)),
});

/**
 * GitLab tokens by the prefixes of GitLab's "Token overview" (`glpat-` personal, project and group access
 * tokens; `gloas-` OAuth application secrets; `gldt-` deploy; `glrt-`/`glrtr-` runner; `glcbt-` CI/CD job;
 * `glptt-` trigger; `glft-` feed; `glimt-` incoming mail; `glagent-` agent; `glsoat-` SCIM; `glffct-` feature
 * flags; `glwt-` workspace), with an instance prefix (`SIE-glpat-…`) allowed before them. Routable tokens carry
 * dot-separated parts after the random one.
 */
export const gitlabToken = regexDetector({
  id: 'secret.gitlab_token',
  category: 'secret',
  description: 'GitLab token (glpat-, gldt-, glrt-, glcbt-, …)',
  keywords: [
    'glpat-',
    'gloas-',
    'gldt-',
    'glrt-',
    'glrtr-',
    'glcbt-',
    'glptt-',
    'glft-',
    'glimt-',
    'glagent-',
    'glsoat-',
    'glffct-',
    'glwt-',
  ],
  pattern: /gl(?:pat|oas|dt|rtr?|cbt|ptt|ft|imt|agent|soat|ffct|wt)-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*/g,
  startsAt: [0],
  boundary: /[A-Za-z0-9_]/,
  accept: (v) => looksRandom(v.slice(v.indexOf('-') + 1).split('.')[0]!),
});

/**
 * Slack tokens (Slack API, "Token types"): `xoxb-` bot, `xoxp-` user, `xoxa-`/`xoxr-` legacy workspace and
 * refresh, `xoxe.xoxp-`/`xoxe-` configuration and rotating tokens, `xapp-` app-level; each starts with a
 * numeric id group, and "token strings values up to 255 characters" are to be expected.
 */
export const slackToken = regexDetector({
  id: 'secret.slack_token',
  category: 'secret',
  description: 'Slack token (xoxb-, xoxp-, xoxa-, xoxe-, xapp-)',
  keywords: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxe', 'xapp-'],
  pattern: /(?:xox(?:e\.xox[bp]|[abpre])|xapp)-\d+-[A-Za-z0-9-]{10,250}/g,
  startsAt: [0],
  accept: (v) => looksRandom(v.replace(/^[a-z.]+-\d+-/, '').replace(/-/g, '')),
});

/**
 * Slack incoming webhook and workflow URLs (`https://hooks.slack.com/services/T…/B…/…`, Slack API "Sending
 * messages using incoming webhooks"): the URL is the credential. Its last segment must look random, so the
 * docs' `T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX` is not reported.
 */
export const slackWebhookUrl = regexDetector({
  id: 'secret.slack_webhook_url',
  category: 'secret',
  description: 'Slack incoming webhook URL (https://hooks.slack.com/services/…)',
  keywords: ['hooks.slack.com'],
  pattern: /https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]+/g,
  startsAt: [8, 7],
  accept: (v) => {
    const last = v.slice(v.lastIndexOf('/', v.length - 2) + 1).replace(/\/$/, '');
    return last.length >= 16 && looksRandom(last);
  },
});

/**
 * Stripe secret and restricted keys, live and test (`sk_live_`, `sk_test_`, `rk_live_`, `rk_test_`; Stripe
 * docs, "API keys"; Stripe told GitLab's secret detection keys run up to 128+ characters), and webhook signing
 * secrets (`whsec_`, Stripe docs, "Check the webhook signatures"). Publishable keys (`pk_`) are public by design.
 */
export const stripeKey = regexDetector({
  id: 'secret.stripe_key',
  category: 'secret',
  description: 'Stripe secret, restricted or webhook key (sk_live_, rk_live_, sk_test_, whsec_)',
  keywords: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_', 'whsec_'],
  pattern: /(?:[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9]{24,})/g,
  startsAt: [0],
  accept: (v) => looksRandom(v.slice(v.lastIndexOf('_') + 1)),
});

/** Twilio String Identifiers: a two-letter type prefix and 32 hex digits (Twilio docs, "What is a SID?"). */
const TWILIO_SID = /(?:SK|AC)[0-9a-fA-F]{32}/g;
/** `SID:secret`, as `curl -u` and Basic auth write an API key or Account SID with its secret. */
const TWILIO_PAIR = /(?:SK|AC)[0-9a-fA-F]{32}:([A-Za-z0-9]{32})(?![A-Za-z0-9])/dg;
/** A 32-character Auth Token or API key secret next to its name. */
const TWILIO_NAMED =
  /(?:auth[_-]?token|api[_-]?secret|api[_-]?key[_-]?secret|twilio[a-z_]*(?:token|secret))\\?["']?\s*[:=]\s*\\?["']?([A-Za-z0-9]{32})(?![A-Za-z0-9])/dgi;

/**
 * Twilio credentials, in a text that names Twilio: API key SIDs (`SK` + 32 hex) and Account SIDs (`AC` + 32
 * hex) — together with their secret they are Twilio's "Account API credentials" — and the 32-character Auth
 * Token or API key secret written after a SID (`SID:secret`) or after its name (`TWILIO_AUTH_TOKEN=…`).
 */
export const twilioCredentials: Detector = {
  id: 'secret.twilio_api_key',
  category: 'secret',
  description: 'Twilio API key / Account SID (SK…, AC…) and Auth Token, where the text mentions Twilio',
  keywords: ['twilio'],
  find(text) {
    const found: TextRange[] = [];
    if (!/twilio/i.test(text)) return found;
    for (const m of text.matchAll(TWILIO_SID)) {
      const start = m.index;
      const end = start + m[0].length;
      if (standsAlone(text, start, end, /[A-Za-z0-9]/) && looksRandom(m[0].slice(2), 2.5))
        found.push({ start, end });
    }
    for (const re of [TWILIO_PAIR, TWILIO_NAMED]) {
      for (const m of text.matchAll(re)) {
        const [start, end] = m.indices![1]!;
        if (looksRandom(m[1]!)) found.push({ start, end });
      }
    }
    return orderedRanges(found);
  },
};

/** SendGrid API keys: `SG.` + 22 + `.` + 43 base64url characters, 69 in all (Twilio SendGrid docs, "API Keys"). */
export const sendgridApiKey = regexDetector({
  id: 'secret.sendgrid_api_key',
  category: 'secret',
  description: 'SendGrid API key (SG.…)',
  keywords: ['sg.'],
  pattern: /SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/g,
  startsAt: [0],
  accept: (v) => looksRandom(v.slice(3)),
});

/** npm access tokens: `npm_` + 30 random + 6 checksum characters (GitHub changelog, 2021-09-23), checksum verified. */
export const npmToken = regexDetector({
  id: 'secret.npm_token',
  category: 'secret',
  description: 'npm access token (npm_…)',
  keywords: ['npm_'],
  pattern: /npm_[A-Za-z0-9]{36}/g,
  startsAt: [0],
  accept: (v) => hasBase62Crc32(after(v, 4)),
});

/** PyPI API tokens: `pypi-` + a base64url macaroon (PyPI help, "API tokens"), its v2 header verified. */
export const pypiToken = regexDetector({
  id: 'secret.pypi_token',
  category: 'secret',
  description: 'PyPI API token (pypi-…)',
  keywords: ['pypi-ag'],
  pattern: /pypi-Ag[A-Za-z0-9_-]{50,}/g,
  startsAt: [0],
  accept: (v) => isMacaroonV2(after(v, 5)),
});

/** Docker personal and organization access tokens (`dckr_pat_`, `dckr_oat_`; Docker docs, "Access tokens"). */
export const dockerHubToken = regexDetector({
  id: 'secret.docker_hub_token',
  category: 'secret',
  description: 'Docker Hub access token (dckr_pat_…, dckr_oat_…)',
  keywords: ['dckr_pat_', 'dckr_oat_'],
  pattern: /dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}/g,
  startsAt: [0],
  accept: (v) => looksRandom(after(v, 9)),
});

/** Hugging Face user access tokens (`hf_…`; Hugging Face Hub docs, "User access tokens"). */
export const huggingFaceToken = regexDetector({
  id: 'secret.huggingface_token',
  category: 'secret',
  description: 'Hugging Face access token (hf_…)',
  keywords: ['hf_'],
  pattern: /hf_[A-Za-z0-9]{30,}/g,
  startsAt: [0],
  accept: (v) => looksRandom(after(v, 3)),
});

/**
 * Databricks personal access tokens: `dapi` followed by 32 hexadecimal characters (the format AWS Secrets
 * Manager's Databricks rotation documents), optionally `-` and a digit.
 */
export const databricksToken = regexDetector({
  id: 'secret.databricks_token',
  category: 'secret',
  description: 'Databricks personal access token (dapi…)',
  keywords: ['dapi'],
  pattern: /dapi[0-9a-f]{32}(?:-\d)?/g,
  startsAt: [0],
  accept: (v) => looksRandom(v.slice(4, 36)),
});
