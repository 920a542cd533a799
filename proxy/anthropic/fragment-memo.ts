/**
 * A request body masked part by part, each part remembered by its JSON text: a conversation's later turn
 * resends its system prompt, its tools and every earlier message byte for byte, so those are neither parsed
 * nor masked again — only the messages that are new (or changed, such as the one that lost its
 * `cache_control` mark) are. The parts are the top-level members and the elements of `messages`, found by
 * json-layout.ts without parsing; each part is parsed on its own (JSON.parse of its text).
 */
import { MAX_NESTING, nestingDepth } from '../common/json-depth.js';
import { type LaidOutMember, layoutOf } from './json-layout.js';
import { maskBody, stringRanges } from './json-masking.js';
import { type MaskMemo, placeOf, TextMemo } from './mask-memo.js';

/** A replacement of the text at [start, end). */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** One part of a body, parsed and masked (shared by every body that has it: never changed). Edits are in the part's own text. */
interface Fragment {
  value: unknown;
  /** After outbound masking (`value` itself when nothing changed). */
  sent: unknown;
  /** As recorded: masked for storage (after outbound masking). */
  stored: unknown;
  sentEdits: Edit[];
  storedEdits: Edit[];
  counts: Readonly<Record<string, number>>;
  outboundCounts: Readonly<Record<string, number>>;
}

/** A body masked part by part: the three values, and the edits in the body's text. */
export interface FragmentedBody {
  value: Record<string, unknown>;
  sent: Record<string, unknown>;
  stored: Record<string, unknown>;
  sentEdits: Edit[];
  storedEdits: Edit[];
  counts: Record<string, number>;
  outboundCounts: Record<string, number>;
}

/** Characters of part texts remembered per generation (two are kept). */
const GENERATION_CHARS = 4 * 1024 * 1024;
/** Members whose array value is split into its elements. */
const SPLIT: ReadonlySet<string> = new Set(['messages']);

/** Parts of request bodies, parsed and masked, remembered by their text (see the module comment). */
export class FragmentMemo {
  private readonly memo = new TextMemo<Fragment>(GENERATION_CHARS);

  constructor(
    private readonly text: MaskMemo,
    private readonly outbound: MaskMemo | null,
  ) {}

  /**
   * `json` (a request body's text, an object) masked part by part. `unseen` when most of it (by length) was
   * not seen before: parsing it whole costs less then, and {@link FragmentMemo.learn} can remember its parts
   * once the request is on its way. Undefined when it cannot be done part by part — not an object, a key
   * twice at the top level, `mcp_servers` (redacted by the whole-body path), a part that is not JSON or nests
   * too deep, or whose text holds strings its value lacks — and the whole body must be parsed instead.
   */
  mask(json: string): FragmentedBody | 'unseen' | undefined {
    const layout = layoutOf(json, SPLIT);
    if (!layout || layout.some((m) => m.key === 'mcp_servers')) return undefined;
    const parts = partsOf(layout);
    let unseen = 0;
    const known = parts.map((p) => {
      const found = this.memo.get(json.slice(p.start, p.end), p.place);
      if (!found) unseen += p.end - p.start;
      return found;
    });
    if (unseen * 2 > json.length) return 'unseen';
    const body: FragmentedBody = {
      value: {},
      sent: {},
      stored: {},
      sentEdits: [],
      storedEdits: [],
      counts: {},
      outboundCounts: {},
    };
    const members = new Map<string, { value: unknown[]; sent: unknown[]; stored: unknown[] }>();
    for (const [i, p] of parts.entries()) {
      const part = known[i] ?? this.fresh(json.slice(p.start, p.end), p.place, p.depth);
      if (!part) return undefined;
      for (const edit of part.sentEdits) body.sentEdits.push(shift(edit, p.start));
      for (const edit of part.storedEdits) body.storedEdits.push(shift(edit, p.start));
      add(body.counts, part.counts);
      add(body.outboundCounts, part.outboundCounts);
      if (p.depth === 1) {
        define(body, p.key, part.value, part.sent, part.stored);
        continue;
      }
      let arrays = members.get(p.key);
      if (!arrays) {
        arrays = { value: [], sent: [], stored: [] };
        members.set(p.key, arrays);
        define(body, p.key, arrays.value, arrays.sent, arrays.stored);
      }
      arrays.value.push(part.value);
      arrays.sent.push(part.sent);
      arrays.stored.push(part.stored);
    }
    return body;
  }

  /** Parses, masks and remembers the parts of `json` not remembered yet (off a request's path). */
  learn(json: string): void {
    const layout = layoutOf(json, SPLIT);
    if (!layout || layout.some((m) => m.key === 'mcp_servers')) return;
    for (const p of partsOf(layout)) {
      const raw = json.slice(p.start, p.end);
      if (!this.memo.get(raw, p.place)) this.fresh(raw, p.place, p.depth);
    }
  }

  private fresh(raw: string, place: number, depth: number): Fragment | undefined {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (raw.length > MAX_NESTING - depth && nestingDepth(value) + depth > MAX_NESTING) return undefined;
    const out = this.outbound ? maskBody(value, this.outbound, { keepCredentials: true }) : undefined;
    const sent = out && out.changes.size > 0 ? out : undefined;
    const stored = maskBody(sent ? sent.value : value, this.text);
    // The part's text must hold exactly the strings its value has (no key twice), in the walk's order.
    const ranges = stringRanges(raw, stored.strings);
    if (!ranges || ((sent || stored.changes.size > 0) && !(stored.textOrder && (out?.textOrder ?? true))))
      return undefined;
    const edits = (changes: ReadonlyMap<number, string>) =>
      [...changes].map(([index, text]) => ({
        start: ranges[index * 2]!,
        end: ranges[index * 2 + 1]!,
        text: JSON.stringify(text),
      }));
    const all = new Map([...(sent?.changes ?? []), ...stored.changes]);
    const fragment: Fragment = {
      value,
      sent: sent ? sent.value : value,
      stored: stored.value,
      sentEdits: sent ? edits(sent.changes) : [],
      storedEdits: edits(new Map([...all].sort((a, b) => a[0] - b[0]))),
      counts: sum(sent?.counts, stored.counts),
      outboundCounts: sent?.counts ?? {},
    };
    // A copy of its own: `raw` is a slice of the request's text, which it would keep alive.
    this.memo.set(`${raw} `.slice(0, -1), fragment, raw.length, place);
    return fragment;
  }
}

/** Where one part of a body stands: its member, its place (for the memo's key), how deep it nests, [start, end). */
interface PartPlace {
  key: string;
  place: number;
  depth: 1 | 2;
  start: number;
  end: number;
}

/**
 * The parts of a laid-out body, in order: each member, or each element of a split one. An element's place
 * names its index too, so the messages of one template (same length, same ends) at different places do not
 * share a memo key.
 */
function partsOf(layout: readonly LaidOutMember[]): PartPlace[] {
  const parts: PartPlace[] = [];
  for (const { key, start, end, elements } of layout) {
    const place = placeOf(key);
    if (!elements) {
      parts.push({ key, place, depth: 1, start, end });
      continue;
    }
    // An empty array is still a member of the body.
    if (elements.length === 0) parts.push({ key, place, depth: 1, start, end });
    for (let i = 0; i < elements.length; i += 2) {
      parts.push({
        key,
        place: (Math.imul(place, 31) + i / 2 + 1) | 0,
        depth: 2,
        start: elements[i]!,
        end: elements[i + 1]!,
      });
    }
  }
  return parts;
}

function shift(edit: Edit, by: number): Edit {
  return { start: edit.start + by, end: edit.end + by, text: edit.text };
}

/** `text` with `edits` (in order, not overlapping) applied. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = '';
  let at = 0;
  for (const edit of edits) {
    out += text.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + text.slice(at);
}

/** Sets a member on the three values (a `__proto__` key stays a plain member). */
function define(body: FragmentedBody, key: string, value: unknown, sent: unknown, stored: unknown): void {
  const member = (v: unknown) => ({ value: v, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(body.value, key, member(value));
  Object.defineProperty(body.sent, key, member(sent));
  Object.defineProperty(body.stored, key, member(stored));
}

function add(into: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const id in counts) into[id] = (into[id] ?? 0) + counts[id]!;
}

function sum(
  a: Readonly<Record<string, number>> | undefined,
  b: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = { ...a };
  add(out, b);
  return out;
}
