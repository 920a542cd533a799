/**
 * Fake credentials and personal data built by their documented formats, random on every call: what tests
 * plant to check that masking finds them. None of them is a real credential (the random parts come from
 * `crypto.randomInt`; checksums, where a format has one, are computed so that the value is well-formed).
 */
import { createHmac, generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { composeIBAN } from 'ibantools';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const HEX = '0123456789abcdef';
export const BASE64URL = `${ALNUM}_-`;
export const BASE64 = `${ALNUM}+/`;
export const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `n` characters drawn uniformly from `alphabet`. */
export function random(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

function base62Crc(random30: string): string {
  let n = crc32(random30);
  let out = '';
  while (n > 0) {
    out = ALNUM[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(6, '0');
}

/** A GitHub classic token: prefix + 30 random base62 + CRC32 in 6 base62 digits. */
export function githubToken(prefix: 'ghp_' | 'gho_' | 'ghu_' | 'ghs_' | 'ghr_' = 'ghp_'): string {
  const body = random(ALNUM, 30);
  return `${prefix}${body}${base62Crc(body)}`;
}

export const fake = {
  anthropic: () => `sk-ant-api03-${random(BASE64URL, 93)}AA`,
  anthropicAdmin: () => `sk-ant-admin01-${random(BASE64URL, 93)}AA`,
  openaiProject: () => `sk-proj-${random(BASE64URL, 74)}T3BlbkFJ${random(BASE64URL, 74)}`,
  openaiLegacy: () => `sk-${random(ALNUM, 20)}T3BlbkFJ${random(ALNUM, 20)}`,
  awsAccessKeyId: (prefix = 'AKIA') => `${prefix}${random(UPPER_DIGITS, 16)}`,
  awsSecretAccessKey: () => random(BASE64, 40),
  googleApiKey: () => `AIza${random(BASE64URL, 35)}`,
  azureStorageKey: () => randomBytes(64).toString('base64'),
  azureSasSignature: () => encodeURIComponent(randomBytes(32).toString('base64')),
  githubToken,
  githubFineGrained: () => `github_pat_${random(ALNUM, 22)}_${random(ALNUM, 59)}`,
  gitlabToken: (prefix = 'glpat-') => `${prefix}${random(BASE64URL, 20)}`,
  slackBotToken: () => `xoxb-${random('0123456789', 11)}-${random('0123456789', 13)}-${random(ALNUM, 24)}`,
  slackUserToken: () =>
    `xoxp-${random('0123456789', 11)}-${random('0123456789', 11)}-${random('0123456789', 13)}-${random(HEX, 32)}`,
  slackWebhook: () =>
    `https://hooks.slack.com/services/T${random('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', 10)}/B${random('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', 10)}/${random(ALNUM, 24)}`,
  stripe: (prefix = 'sk_live_') => `${prefix}${random(ALNUM, 99)}`,
  twilioApiKeySid: () => `SK${random(HEX, 32)}`,
  twilioAccountSid: () => `AC${random(HEX, 32)}`,
  twilioSecret: () => random(ALNUM, 32),
  sendgrid: () => `SG.${random(BASE64URL, 22)}.${random(BASE64URL, 43)}`,
  npm: () => {
    const body = random(ALNUM, 30);
    return `npm_${body}${base62Crc(body)}`;
  },
  /** A macaroon v2 as PyPI issues: location `pypi.org`, an identifier, a caveat, a signature. */
  pypi: () => {
    const bytes = Buffer.concat([
      Buffer.from([0x02, 0x01, 0x08]),
      Buffer.from('pypi.org'),
      Buffer.from([0x02, 0x20]),
      randomBytes(32),
      Buffer.from([0x00, 0x02, 0x2a]),
      randomBytes(42),
      Buffer.from([0x00, 0x00, 0x06, 0x20]),
      randomBytes(32),
    ]);
    return `pypi-${bytes.toString('base64url')}`;
  },
  dockerHub: () => `dckr_pat_${random(BASE64URL, 27)}`,
  huggingFace: () => `hf_${random('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 34)}`,
  databricks: () => `dapi${random(HEX, 32)}`,
  /** An HS256 JWT signed with a random key. */
  jwt: (claims: Record<string, unknown> = { sub: `user-${randomInt(1e6)}`, iat: 1_717_000_000 }) => {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
    return `${input}.${createHmac('sha256', randomBytes(32)).update(input).digest('base64url')}`;
  },
  rsaPkcs8Pem: () =>
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string,
  rsaPkcs1Pem: () =>
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    }) as string,
  ecPem: () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'sec1',
      format: 'pem',
    }) as string,
  encryptedPem: () =>
    generateKeyPairSync('ed25519').privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: random(ALNUM, 16),
    }) as string,
  /** An OpenSSH private key block (PROTOCOL.key: base64 of `openssh-key-v1\0`…, lines of 70). */
  opensshPem: () => {
    const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), randomBytes(380)]).toString('base64');
    return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.match(/.{1,70}/g)!.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
  },
  password: (n = 32) => random(`${ALNUM}!#%^*-_`, n),
  email: () =>
    `${random('abcdefghijklmnopqrstuvwxyz', 6)}.${random('abcdefghijklmnopqrstuvwxyz', 5)}@corp-${random('abcdefghij', 4)}.com`,
  /** A card number of `prefix` and `length` with a valid Luhn check digit. */
  card: (prefix = '4', length = 16) => {
    const partial = prefix + random('0123456789', length - prefix.length - 1);
    for (let check = 0; check <= 9; check++) {
      const candidate = partial + check;
      let sum = 0;
      for (let i = 0; i < candidate.length; i++) {
        let d = Number(candidate[candidate.length - 1 - i]);
        if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
      }
      if (sum % 10 === 0) return candidate;
    }
    throw new Error('unreachable');
  },
  /** A valid IBAN of `country` whose BBAN is `bankCode` and `digits` random digits. */
  iban: (country = 'DE', digits = 18, bankCode = '') =>
    composeIBAN({ countryCode: country, bban: bankCode + random('0123456789', digits) }) as string,
  ssn: () => {
    const area = String(randomInt(1, 899)).padStart(3, '0');
    return `${area === '666' ? '667' : area}-${String(randomInt(1, 99)).padStart(2, '0')}-${String(randomInt(1, 9999)).padStart(4, '0')}`;
  },
  /** A valid US number in international form, `+1 AAA EEE LLLL`. */
  usPhone: () => {
    for (;;) {
      const n = `+1 ${random('2345678', 1)}${random('0123456789', 2)} ${random('23456789', 1)}${random('0123456789', 2)} ${random('0123456789', 4)}`;
      if (parsePhoneNumberFromString(n)?.isValid()) return n;
    }
  },
  /** A public IPv4 address (outside every non-public range). */
  publicIPv4: () =>
    `${[8, 23, 45, 81, 91, 104, 151, 185, 212][randomInt(9)]}.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`,
};
