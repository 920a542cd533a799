/**
 * Secrets and personal data planted in what a test sends through Glassbox, and the search for them in every
 * byte under `$GLASSBOX_HOME` afterwards (issue 16: none of them may be anywhere there).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BUILTIN_DETECTORS, findAll } from '../../proxy/policy/detectors/index.js';
import { filesUnder } from './files.js';

/** One planted value. */
export interface Planted {
  /** What it is, for messages: `anthropic key`, `email`, … */
  name: string;
  /** The value as planted. */
  value: string;
  /** The value in the context it is planted in (`AWS_ACCESS_KEY_ID=AKIA…`): what prompts and files carry. */
  inContext: string;
  /**
   * Pieces that must not be found either: the value's random part, and that part lower-cased (the full-text
   * index stores words folded to lower case).
   */
  fragments: string[];
  /** True when the built-in detectors find it (the full detector set lands separately; see the tests). */
  detected: boolean;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function random(alphabet: string, length: number): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** A random 16-digit Visa-style number that passes the Luhn check. */
function luhnCard(): string {
  const digits = [4, ...Array.from({ length: 14 }, () => randomInt(10))];
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // From the right, with the check digit still to come: every second digit from the last one doubles.
    let d = digits[digits.length - 1 - i]!;
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return [...digits, (10 - (sum % 10)) % 10].join('');
}

function planted(name: string, value: string, inContext: string, core: string): Planted {
  const detected = findAll(inContext, BUILTIN_DETECTORS).some((f) =>
    inContext.slice(f.start, f.end).includes(core),
  );
  return { name, value, inContext, fragments: [value, core, core.toLowerCase()], detected };
}

/**
 * A fresh set of planted values, random per call: an Anthropic API key and an email address (found by the
 * detectors every build has), and an AWS access key id and a payment card number (found once the full
 * detector set is in: check `detected`).
 */
export function plantValues(): Planted[] {
  const keyCore = random(ALNUM, 40);
  const key = `sk-ant-api03-${keyCore}`;
  const local = `jdoe${random('abcdefghijklmnopqrstuvwxyz', 14)}`;
  const email = `${local}@example-corp.com`;
  const awsCore = random('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16);
  const aws = `AKIA${awsCore}`;
  const card = luhnCard();
  return [
    planted('anthropic key', key, `ANTHROPIC_API_KEY=${key}`, keyCore),
    planted('email', email, `mail ${email} today`, local),
    planted('aws key', aws, `AWS_ACCESS_KEY_ID=${aws}`, awsCore),
    planted('card', card, `card ${card} exp 12/29`, card.slice(0, 12)),
  ];
}

/** The planted values the detectors of this build find: the ones a test may assert are masked. */
export function detectedOnly(values: readonly Planted[]): Planted[] {
  return values.filter((v) => v.detected);
}

/** Every `(file, fragment)` under `dir` holding a fragment of one of `values`, as bytes (UTF-8). */
export function plantedFoundUnder(dir: string, values: readonly Planted[]): string[] {
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    for (const v of values) {
      for (const fragment of v.fragments) {
        if (bytes.includes(Buffer.from(fragment))) found.push(`${file}: ${v.name} (${fragment})`);
      }
    }
  }
  return found;
}

/** A random id-like suffix for session names. */
export function nonce(): string {
  return randomBytes(4).toString('hex');
}
