/**
 * The keyword prefilter (DESIGN.md, "Masking": never run every regular expression over every byte). One
 * case-insensitive regular expression holding every detector's keywords as a trie (`a(?:kia|pi_key|uth)|…`,
 * about twice as fast in V8 as a flat alternation of ninety literals) scans the text once; keywords without
 * letters (`@`, `://`), which have no case to fold and are frequent, are found with `indexOf` instead. It says
 * which detectors can match, and records where each keyword is, so that detectors look only there. Detectors
 * without keywords always run; they guard themselves with a cheap pattern.
 */
import type { Detector } from '../masking/types.js';

/** What one prefilter pass found in a text. */
export interface PrefilterResult {
  /** One flag per detector of the list the prefilter was built for: may that detector match? */
  flags: Uint8Array;
  /** Positions of each keyword found (lower-case keyword → ascending positions). */
  hits: Map<string, number[]>;
}

/** Which detectors of a list may match a text. Immutable once built; safe to share. */
export interface Prefilter {
  scan(text: string): PrefilterResult;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

interface TrieNode {
  end: boolean;
  next: Map<string, TrieNode>;
}

/** `keywords` as one regular expression shaped like their trie; at each position the longest keyword wins. */
export function trieSource(keywords: readonly string[]): string {
  const root: TrieNode = { end: false, next: new Map() };
  for (const k of keywords) {
    let node = root;
    for (const c of k) {
      let child = node.next.get(c);
      if (!child) {
        child = { end: false, next: new Map() };
        node.next.set(c, child);
      }
      node = child;
    }
    node.end = true;
  }
  const emit = (node: TrieNode): string =>
    [...node.next.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([c, child]) => {
        let head = escapeRegExp(c);
        let at = child;
        while (!at.end && at.next.size === 1) {
          const [c2, n2] = [...at.next][0]!;
          head += escapeRegExp(c2);
          at = n2;
        }
        if (at.next.size === 0) return head;
        const rest = emit(at);
        return at.end ? `${head}(?:${rest})?` : `${head}(?:${rest})`;
      })
      .join('|');
  return emit(root);
}

/** Where one pass found a keyword index's keywords. */
export interface KeywordScan {
  /** Every keyword of the index that occurs in the text, also where only a longer keyword was reported. */
  present: Set<string>;
  /** Positions of each keyword reported (lower-case keyword → ascending positions). */
  hits: Map<string, number[]>;
}

/** A set of keywords compiled for one-pass search. Immutable once built; safe to share. */
export interface KeywordIndex {
  readonly keywords: ReadonlySet<string>;
  scan(text: string): KeywordScan;
}

/**
 * Compiles `keywords` (matched case-insensitively) for one-pass search. A keyword reported where it contains
 * others (`sk-ant-` contains `sk-`) makes them present too, since the expression reports one keyword per
 * position; every position is searched, so keywords that overlap are all found.
 */
export function buildKeywordIndex(keywords: Iterable<string>): KeywordIndex {
  const all = new Set([...keywords].map((k) => k.toLowerCase()).filter((k) => k.length > 0));
  const literal = [...all].filter((k) => !/[a-z]/.test(k));
  const folded = [...all].filter((k) => /[a-z]/.test(k));
  const contains = new Map([...all].map((k) => [k, [...all].filter((other) => k.includes(other))] as const));
  // One expression per index, its lastIndex reset at every scan: compiling the trie per scan cost ~3 µs, most
  // of a short text's masking. scan() is synchronous and never re-entered, so sharing it is safe.
  const pattern = folded.length > 0 ? new RegExp(trieSource(folded), 'gi') : null;
  return {
    keywords: all,
    scan(text) {
      const present = new Set<string>();
      const hits = new Map<string, number[]>();
      const record = (keyword: string, at: number) => {
        const positions = hits.get(keyword);
        if (positions) positions.push(at);
        else {
          hits.set(keyword, [at]);
          for (const k of contains.get(keyword) ?? []) present.add(k);
        }
      };
      for (const k of literal)
        for (let at = text.indexOf(k); at !== -1; at = text.indexOf(k, at + 1)) record(k, at);
      if (pattern !== null) {
        pattern.lastIndex = 0;
        for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
          record(m[0].toLowerCase(), m.index);
          pattern.lastIndex = m.index + 1;
        }
      }
      return { present, hits };
    },
  };
}

/**
 * A prefilter for `detectors`. With `base`, an index already built (the built-in detectors' keywords), only the
 * keywords `base` lacks get an index of their own, so that building a prefilter for a list of built-in and
 * custom detectors costs microseconds; without it, one index holds all of them.
 */
export function buildPrefilter(detectors: readonly Detector[], base?: KeywordIndex): Prefilter {
  const lists = detectors.map((d) => d.keywords.map((k) => k.toLowerCase()).filter((k) => k.length > 0));
  const always = Uint8Array.from(detectors, (d) => (d.keywords.length === 0 ? 1 : 0));
  const wanted = new Set(lists.flat());
  const missing = base ? [...wanted].filter((k) => !base.keywords.has(k)) : [...wanted];
  const indexes = [
    ...(base && missing.length < wanted.size ? [base] : []),
    ...(missing.length > 0 ? [buildKeywordIndex(missing)] : []),
  ];
  return {
    scan(text) {
      const flags = always.slice();
      if (indexes.length === 0) return { flags, hits: new Map() };
      const scans = indexes.map((index) => index.scan(text));
      const [first, ...rest] = scans as [KeywordScan, ...KeywordScan[]];
      for (const more of rest) {
        for (const k of more.present) first.present.add(k);
        for (const [k, positions] of more.hits) first.hits.set(k, positions);
      }
      lists.forEach((keywords, i) => {
        if (keywords.some((k) => first.present.has(k))) flags[i] = 1;
      });
      return { flags, hits: first.hits };
    },
  };
}
