/**
 * What the Anthropic proxy's masking remembers between requests. A Claude Code request resends the whole
 * conversation every turn, so almost every part of a turn's body was in the turn before: the masked form of
 * each string is remembered, engine-wide, and so is each part of a body's JSON text once parsed and masked
 * (fragment-memo.ts); only text never seen before is parsed and scanned.
 */
import type { CompiledPolicy } from '../policy/compile.js';
import type { MaskAction, TextMasker } from '../policy/masking/types.js';
import { FragmentMemo } from './fragment-memo.js';

/** A string after masking, and how many values each detector masked in it (an empty object when none). */
export interface MaskedString {
  text: string;
  counts: Readonly<Record<string, number>>;
}

/** One remembered value; `next` chains values whose keys collide (long texts are keyed by a sample). */
interface Remembered<T> {
  source: string;
  value: T;
  next: Remembered<T> | undefined;
}

/** Characters from each end of a text in its key (a text up to twice as long is keyed by all of them). */
const ENDS = 24;
/** Characters from the middle of a longer text in its key, evenly spaced. */
const MIDDLE = 16;
/** Most values remembered under one key: the newest, as a long chain would make each lookup slow. */
const MAX_CHAIN = 8;
/** Characters remembered per generation of a {@link MaskMemo} (source and masked text counted). */
const GENERATION_CHARS = 8 * 1024 * 1024;
const NOTHING: Readonly<Record<string, number>> = Object.freeze({});

/**
 * Values remembered by the text they were made from. Looking a text up costs a hash of at most 64 of its
 * characters and, on a hit, one comparison with the remembered text (a memory compare): a text is keyed by
 * a number made of its length, its first and last 24 characters and 16 from its middle — not hashed whole
 * (hashing every character of a 100 KB request cost 150 µs per turn), nor made into a string key.
 *
 * Bounded: two generations of at most `generationChars` characters each (as {@link TextMemo.set} counts
 * them); when the current one is full it becomes the previous one and the one before is dropped (a text
 * found in the previous generation moves to the current one), so what a live conversation resends stays and
 * what no one sends any more goes. The texts live in this process's memory only.
 */
export class TextMemo<T> {
  private current = new Map<number, Remembered<T>>();
  private previous = new Map<number, Remembered<T>>();
  private chars = 0;

  constructor(private readonly generationChars: number) {}

  /**
   * The value remembered for `text`, if any. `place` narrows the key (a number for where the text stands,
   * when that is known: texts of one template at different places then do not share a chain).
   */
  get(text: string, place = 0): T | undefined {
    const key = keyOf(text, place);
    const hit = find(this.current.get(key), text);
    if (hit) return hit.value;
    const old = find(this.previous.get(key), text);
    if (old) this.set(old.source, old.value, text.length, place);
    return old?.value;
  }

  /**
   * Remembers `value` for `text` (at `place`), counting `size` characters against the bound. Only the
   * newest {@link MAX_CHAIN} texts under one key are kept. Keep `text` a string of its own, not a slice of a
   * larger one (that would keep the larger one alive).
   */
  set(text: string, value: T, size: number, place = 0): void {
    if (this.chars + size > this.generationChars) {
      this.previous = this.current;
      this.current = new Map();
      this.chars = 0;
    }
    this.chars += size;
    const key = keyOf(text, place);
    const entry: Remembered<T> = { source: text, value, next: this.current.get(key) };
    this.current.set(key, entry);
    let last = entry;
    for (let n = 1; last.next && n < MAX_CHAIN; n++) last = last.next;
    last.next = undefined;
  }
}

/** A text's key (see {@link TextMemo}): a 32-bit number. */
function keyOf(text: string, place: number): number {
  const n = text.length;
  let h = Math.imul(place, 0x9e3779b1) ^ n;
  const head = Math.min(n, ENDS);
  for (let i = 0; i < head; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  for (let i = Math.max(head, n - ENDS); i < n; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  if (n > 2 * ENDS + MIDDLE) {
    const step = (n - 2 * ENDS) / (MIDDLE + 1);
    for (let k = 1; k <= MIDDLE; k++)
      h = (Math.imul(h, 31) + text.charCodeAt(ENDS + Math.floor(k * step))) | 0;
  }
  return h;
}

/** A number for a short text (a member's key), to give as a {@link TextMemo} place. */
export function placeOf(text: string): number {
  let h = 1;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

function find<T>(chain: Remembered<T> | undefined, text: string): Remembered<T> | undefined {
  for (let entry = chain; entry; entry = entry.next) if (entry.source === text) return entry;
  return undefined;
}

/**
 * A {@link TextMasker}'s results remembered by the text they were for ({@link TextMemo}, two generations of
 * 8 Mi characters by default).
 */
export class MaskMemo {
  private readonly memo: TextMemo<MaskedString>;

  constructor(
    private readonly masker: TextMasker,
    generationChars = GENERATION_CHARS,
  ) {
    this.memo = new TextMemo(generationChars);
  }

  /** `text` masked (remembered, or masked now and remembered). */
  mask(text: string): MaskedString {
    if (text.length === 0) return { text, counts: NOTHING };
    const known = this.memo.get(text);
    if (known) return known;
    const masked = this.masker.mask(text);
    const result =
      masked.spans.length === 0 ? { text, counts: NOTHING } : { text: masked.text, counts: masked.counts };
    this.memo.set(text, result, text.length + (result.text === text ? 0 : result.text.length));
    return result;
  }
}

/**
 * The masking a policy asks of the Anthropic proxy, with its memos: built once per compiled policy and
 * reused while that policy is in force.
 */
export interface PolicyMasking {
  readonly policy: CompiledPolicy;
  /** Whether anything is masked at all: some detector is enabled (else requests may be recorded unread). */
  readonly active: boolean;
  /** Masks for storage: every enabled detector (`policy.text`), remembered. */
  readonly text: MaskMemo;
  /** Masks requests before they leave (`policy.outbound`), remembered; null when outbound masking is off. */
  readonly outbound: MaskMemo | null;
  /** Request bodies masked part by part, each part remembered by its text (both maskings above). */
  readonly fragments: FragmentMemo;
  /** The action the policy takes for a detector's findings (`redact` for one it does not list). */
  actionOf(detector: string): MaskAction;
}

/** The {@link PolicyMasking} of the policy in force, rebuilt (memos emptied) when the policy changes. */
export class PolicyMaskings {
  private last: PolicyMasking | undefined;

  /** The masking of `policy`: the same object for the same policy. */
  of(policy: CompiledPolicy): PolicyMasking {
    if (this.last?.policy === policy) return this.last;
    const actions = new Map(policy.effective.detectors.map((d) => [d.id, d.action]));
    const text = new MaskMemo(policy.text);
    const outbound = policy.outbound ? new MaskMemo(policy.outbound) : null;
    this.last = {
      policy,
      active: policy.effective.detectors.some((d) => d.enabled) || policy.outbound !== null,
      text,
      outbound,
      fragments: new FragmentMemo(text, outbound),
      actionOf: (detector) => actions.get(detector) ?? { type: 'redact' },
    };
    return this.last;
  }
}
