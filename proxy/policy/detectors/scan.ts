/**
 * What one scan of a text learns once and shares between detectors, so that no detector needs a pass of its
 * own over every byte: where the prefilter found each keyword, and the numeric clusters (runs of digits with
 * separators) in which card numbers, phone numbers, SSNs and IPv4 addresses can be. A `TextScan` lives for
 * one `findAll` call.
 */
import type { Detector, TextRange } from '../masking/types.js';

/** A run of digits joined by at most two separator characters (` .()+-`), or a dotted quad. */
export interface NumericCluster extends TextRange {
  /** How many digits the run holds. */
  digits: number;
}

/**
 * Runs of seven or more digits with up to two separators between neighbours (`+1 (415) 555-2671`,
 * `4111 1111 1111 1111`, `123-45-6789`), and dotted quads (`81.2.69.160`), which are shorter.
 */
const CLUSTER = /\d(?:[ .()+-]{0,2}\d){6,}|\d{1,3}(?:\.\d{1,3}){3}/g;

/** The text of one scan, with what the prefilter found in it and what detectors computed for each other. */
export class TextScan {
  readonly text: string;
  /** Where each keyword was found (lower-case keyword → ascending positions), when a prefilter ran. */
  readonly #hits: ReadonlyMap<string, readonly number[]> | undefined;
  #clusters: NumericCluster[] | undefined;

  constructor(text: string, hits?: ReadonlyMap<string, readonly number[]>) {
    this.text = text;
    this.#hits = hits;
  }

  /**
   * Ascending positions of every occurrence of any of `keywords` (lower-case), or `undefined` when this scan
   * has no prefilter hits (the detector then searches itself). A keyword found inside a longer one
   * (`secret` in `secret_access_key`) is reported at its own position.
   */
  positionsOf(keywords: readonly string[]): number[] | undefined {
    if (!this.#hits) return undefined;
    const out = new Set<number>();
    for (const [found, positions] of this.#hits) {
      for (const k of keywords) {
        const offset = found.indexOf(k);
        if (offset !== -1) for (const p of positions) out.add(p + offset);
      }
    }
    return [...out].sort((a, b) => a - b);
  }

  /** The numeric clusters of the text, in order (computed once per scan). */
  numericClusters(): readonly NumericCluster[] {
    if (this.#clusters) return this.#clusters;
    const clusters: NumericCluster[] = [];
    for (const m of this.text.matchAll(CLUSTER)) {
      let digits = 0;
      for (let i = 0; i < m[0].length; i++) {
        const c = m[0].charCodeAt(i);
        if (c >= 48 && c <= 57) digits++;
      }
      clusters.push({ start: m.index, end: m.index + m[0].length, digits });
    }
    this.#clusters = clusters;
    return clusters;
  }
}

/** A detector that can use a shared {@link TextScan}; its `find(text)` makes a scan of its own. */
export interface ScanDetector extends Detector {
  findIn(scan: TextScan): Iterable<TextRange>;
}

/** True when `detector` can use a shared scan. */
export function isScanDetector(detector: Detector): detector is ScanDetector {
  return typeof (detector as Partial<ScanDetector>).findIn === 'function';
}

/** A {@link ScanDetector} from its fields and `findIn`; `find(text)` scans `text` alone. */
export function scanDetector(spec: Omit<ScanDetector, 'find'>): ScanDetector {
  return { ...spec, find: (text) => spec.findIn(new TextScan(text)) };
}

/**
 * Matches of `pattern` (global) inside each cluster that `wanted` keeps, with positions in the whole text.
 * A cluster is searched with a small margin before it, so that a `+` or `(` opening a phone number is seen.
 * One copy of `pattern` serves every cluster (`matchAll` would copy it once per cluster).
 */
export function* matchesInClusters(
  scan: TextScan,
  pattern: RegExp,
  wanted: (cluster: NumericCluster) => boolean,
): Generator<RegExpExecArray> {
  const { text } = scan;
  const re = new RegExp(pattern);
  for (const cluster of scan.numericClusters()) {
    if (!wanted(cluster)) continue;
    const from = Math.max(0, cluster.start - 2);
    const slice = text.slice(from, cluster.end);
    re.lastIndex = 0;
    for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
      if (m[0].length === 0) re.lastIndex++;
      m.index += from;
      for (const span of m.indices ?? []) {
        if (!span) continue;
        span[0] += from;
        span[1] += from;
      }
      yield m;
    }
  }
}
