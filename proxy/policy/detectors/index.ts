/**
 * The built-in detectors (DESIGN.md, "Masking": secrets by their documented formats, personal data with their
 * validity rules) and the scan that runs a list of them over a text behind one keyword prefilter.
 */
import type { Detector, Finding, TextRange } from '../masking/types.js';
import { type CustomPatternDefinition, CustomPatternError, customDetector } from './custom.js';
import { email, phone } from './pii-contact.js';
import { ipAddress } from './pii-network.js';
import { iban, paymentCard, usSsn } from './pii-numbers.js';
import { buildKeywordIndex, buildPrefilter, type Prefilter } from './prefilter.js';
import { isScanDetector, TextScan } from './scan.js';
import { assignedSecret } from './secrets-assignment.js';
import {
  awsAccessKeyId,
  awsSecretAccessKey,
  azureSasToken,
  azureStorageKey,
  gcpServiceAccountKey,
  googleApiKey,
} from './secrets-cloud.js';
import { jwt, privateKey, urlPassword } from './secrets-generic.js';
import {
  anthropicApiKey,
  databricksToken,
  dockerHubToken,
  githubToken,
  gitlabToken,
  huggingFaceToken,
  npmToken,
  openaiApiKey,
  pypiToken,
  sendgridApiKey,
  slackToken,
  slackWebhookUrl,
  stripeKey,
  twilioCredentials,
} from './secrets-vendors.js';

export { type CustomPatternDefinition, CustomPatternError, customDetector };

/**
 * Every built-in detector, in the order that settles overlaps (the first wins): vendor tokens, then secrets
 * found by structure (JWT, private keys, URL passwords), then secrets found by their name, then personal data;
 * among personal data, the numbers with a checksum before the looser SSN, IP and phone patterns, and IBANs
 * (mod 97, country format) before cards (Luhn), since the digits of a printed IBAN can pass Luhn.
 */
export const BUILTIN_DETECTORS: readonly Detector[] = Object.freeze([
  anthropicApiKey,
  openaiApiKey,
  awsAccessKeyId,
  awsSecretAccessKey,
  gcpServiceAccountKey,
  googleApiKey,
  azureStorageKey,
  azureSasToken,
  githubToken,
  gitlabToken,
  slackToken,
  slackWebhookUrl,
  stripeKey,
  twilioCredentials,
  sendgridApiKey,
  npmToken,
  pypiToken,
  dockerHubToken,
  huggingFaceToken,
  databricksToken,
  jwt,
  privateKey,
  urlPassword,
  assignedSecret,
  email,
  iban,
  paymentCard,
  usSsn,
  ipAddress,
  phone,
]);

/** A list of detectors compiled once (its prefilter built): what a policy keeps and reuses for every text. */
export interface DetectorScanner {
  readonly detectors: readonly Detector[];
  /** What {@link findAll} returns for `text` and these detectors. */
  findAll(text: string): Finding[];
}

/** The index in `kept` (sorted, non-overlapping) where `range` would go, or -1 when it overlaps one of them. */
function slotFor(kept: readonly Finding[], range: TextRange): number {
  let low = 0;
  let high = kept.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (kept[mid]!.start < range.start) low = mid + 1;
    else high = mid;
  }
  if (low > 0 && kept[low - 1]!.end > range.start) return -1;
  if (low < kept.length && kept[low]!.start < range.end) return -1;
  return low;
}

function scan(text: string, detectors: readonly Detector[], prefilter: Prefilter): Finding[] {
  const found: Finding[] = [];
  const { flags, hits } = prefilter.scan(text);
  const shared = new TextScan(text, hits);
  detectors.forEach((detector, i) => {
    if (flags[i] === 0) return;
    for (const range of isScanDetector(detector) ? detector.findIn(shared) : detector.find(text)) {
      if (!(range.start >= 0 && range.end > range.start && range.end <= text.length)) continue;
      const slot = slotFor(found, range);
      if (slot !== -1) found.splice(slot, 0, { detector: detector.id, start: range.start, end: range.end });
    }
  });
  return found;
}

/**
 * Compiles `detectors` for repeated scans: their keyword prefilter is built once (about half a millisecond),
 * holding only their own keywords. Use it where the same list scans many texts; {@link findAll} compiles
 * nothing for {@link BUILTIN_DETECTORS} and only a list's custom keywords otherwise (about 15 µs a call).
 */
export function compileDetectors(detectors: readonly Detector[]): DetectorScanner {
  const list = [...detectors];
  const prefilter = buildPrefilter(list);
  return { detectors: list, findAll: (text) => scan(text, list, prefilter) };
}

/** The built-in detectors' keywords, compiled once at load. */
const BUILTIN_KEYWORDS = buildKeywordIndex(BUILTIN_DETECTORS.flatMap((d) => d.keywords));
const BUILTIN_PREFILTER = buildPrefilter(BUILTIN_DETECTORS, BUILTIN_KEYWORDS);

/**
 * Runs `detectors` over `text` (each only when the prefilter finds one of its keywords, or always when it has
 * none) and returns their findings in order of position, [start, end) in UTF-16 code units; where two overlap,
 * the one whose detector is listed first in `detectors` wins and the other is dropped whole. Any list may be
 * passed (a policy's enabled built-ins and custom patterns, in its order): the built-in keywords are compiled
 * once at load, and only a list's own extra keywords are compiled per call.
 */
export function findAll(text: string, detectors: readonly Detector[]): Finding[] {
  const prefilter =
    detectors === BUILTIN_DETECTORS ? BUILTIN_PREFILTER : buildPrefilter(detectors, BUILTIN_KEYWORDS);
  return scan(text, detectors, prefilter);
}
