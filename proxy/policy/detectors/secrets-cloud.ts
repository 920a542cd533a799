/**
 * Credentials of the cloud platforms — AWS, Google Cloud, Azure — by their documented formats. AWS secret keys
 * and Azure account keys have no prefix of their own, so they are found only next to the name that documents
 * them (`aws_secret_access_key`, `AccountKey=`).
 */
import type { Detector } from '../masking/types.js';
import { looksRandom, regexDetector, shannonEntropy } from './kit.js';
import { pemBlockAt } from './secrets-generic.js';

/**
 * AWS access key ids (IAM User Guide, "IAM identifiers", unique-id prefixes): `AKIA` long-term, `ASIA`
 * temporary (STS), `ABIA` STS service bearer token, `ACCA` context-specific; 20 upper-case letters and digits.
 * Ids ending in `EXAMPLE` are AWS's documentation placeholders (`AKIAIOSFODNN7EXAMPLE`). The body is judged
 * by entropy alone: about one id in 28 has no digit, so "a name in capitals" is no sign of a placeholder here.
 */
export const awsAccessKeyId = regexDetector({
  id: 'secret.aws_access_key_id',
  category: 'secret',
  description: 'AWS access key id (AKIA…, ASIA…)',
  keywords: ['akia', 'asia', 'abia', 'acca'],
  pattern: /A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}/g,
  startsAt: [0],
  boundary: /[A-Za-z0-9]/,
  accept: (v) => !v.endsWith('EXAMPLE') && shannonEntropy(v.slice(4)) >= 2.5,
});

/**
 * AWS secret access keys: 40 base64 characters, reported only right after a name that says what they are
 * (`aws_secret_access_key = …` in `~/.aws/credentials`, `AWS_SECRET_ACCESS_KEY=…`, `"SecretAccessKey": "…"`
 * in `aws sts` output). AWS's documentation key `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY` is a placeholder.
 */
export const awsSecretAccessKey = regexDetector({
  id: 'secret.aws_secret_access_key',
  category: 'secret',
  description: 'AWS secret access key (next to aws_secret_access_key / SecretAccessKey)',
  keywords: [
    ...['', '_', '-'].flatMap((a) => ['', '_', '-'].map((b) => `secret${a}access${b}key`)),
    ...['aws_secret', 'aws-secret', 'awssecret'],
  ],
  pattern:
    /(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)(?:\\*["'`])?\s*(?:=>|:=|[:=])\s*(?:\\*["'`])?([A-Za-z0-9/+]{40})/dgi,
  group: 1,
  startsAt: [0],
  boundary: /[A-Za-z0-9/+]/,
  accept: (v) => !v.endsWith('EXAMPLEKEY') && looksRandom(v, 3.5),
});

/**
 * Google API keys: `AIza` + 35 characters of `[A-Za-z0-9_-]`, 39 in all (Google Cloud docs, "Manage API keys",
 * and their example `AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe`).
 */
export const googleApiKey = regexDetector({
  id: 'secret.google_api_key',
  category: 'secret',
  description: 'Google API key (AIza…)',
  keywords: ['aiza'],
  pattern: /AIza[A-Za-z0-9_-]{35}/g,
  startsAt: [0],
  accept: (v) => looksRandom(v.slice(4)),
});

/** `"private_key": "` in a service-account key file, also inside a JSON string (`\"private_key\": \"`). */
const PRIVATE_KEY_MEMBER = /private_key\\*"\s*:\s*\\*"(?=-----BEGIN )/g;
/**
 * The private key of a Google Cloud service-account key file (Google Cloud IAM docs, "Create and delete
 * service account keys": a JSON file whose `private_key` member holds a PEM `-----BEGIN PRIVATE KEY-----`
 * block with `\n` escapes). The value is the PEM block itself.
 */
export const gcpServiceAccountKey: Detector = {
  id: 'secret.gcp_service_account_key',
  category: 'secret',
  description: 'Google Cloud service-account private key ("private_key": "-----BEGIN PRIVATE KEY-----…")',
  keywords: ['private_key'],
  *find(text) {
    for (const m of text.matchAll(PRIVATE_KEY_MEMBER)) {
      const start = m.index + m[0].length;
      const range = pemBlockAt(text, start);
      if (range) yield range;
    }
  },
};

/**
 * Azure Storage account keys and Service Bus / Event Hubs shared access keys in connection strings (Azure
 * Storage docs, "Configure a connection string": `…;AccountName=…;AccountKey=…`; a storage key is 64 bytes,
 * 88 base64 characters; a SAS policy key 32 bytes, 44 characters).
 */
export const azureStorageKey = regexDetector({
  id: 'secret.azure_storage_key',
  category: 'secret',
  description: 'Azure storage account / shared access key (AccountKey=…, SharedAccessKey=…)',
  keywords: ['accountkey', 'sharedaccesskey'],
  pattern: /(?:AccountKey|SharedAccessKey)\s*=\s*([A-Za-z0-9+/]{86}==|[A-Za-z0-9+/]{43}=)/dgi,
  group: 1,
  startsAt: [0],
  boundary: /[A-Za-z0-9+/]/,
  accept: (v) => looksRandom(v, 3.5),
});

/** A SAS token's signed version, `sv=` and a date: a required parameter of every shared access signature. */
const SAS_VERSION = /(?:^|[?&;])sv=\d{4}-\d{2}-\d{2}/;

/**
 * The signature of an Azure shared access signature (Azure Storage docs, "Grant limited access … using shared
 * access signatures": `…?sv=2022-11-02&…&sig=<URL-encoded base64 HMAC-SHA256>`). Only `sig` is secret; the
 * other parameters say what it grants. Reported when the same query also has `sv=`.
 */
export const azureSasToken: Detector = {
  id: 'secret.azure_sas_token',
  category: 'secret',
  description: 'Azure shared access signature (sig=… beside sv=…)',
  keywords: ['sig='],
  *find(text) {
    for (const m of text.matchAll(/[?&;]sig=([A-Za-z0-9%+/=]{20,})/dg)) {
      const [start, end] = m.indices![1]!;
      const query = text.slice(Math.max(0, start - 600), end + 600);
      if (SAS_VERSION.test(query) && looksRandom(decodeURIComponentSafe(m[1]!))) yield { start, end };
    }
  },
};

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
