/**
 * What the Anthropic proxy's masking remembers between requests. A Claude Code request resends the whole
 * conversation every turn, so almost every string of a turn's body was in the turn before: the masked form
 * of each string is remembered, engine-wide, and only text never seen before is scanned.
 */
import type { CompiledPolicy } from '../policy/compile.js';
import type { MaskAction, TextMasker } from '../policy/masking/types.js';

/** A string after masking, and how many values each detector masked in it (an empty object when none). */
export interface MaskedString {
  text: string;
  counts: Readonly<Record<string, number>>;
}

/** One remembered result; `next` chains results whose keys collide (long strings are keyed by a sample). */
interface Remembered extends MaskedString {
  source: string;
  next: Remembered | undefined;
}

/** Strings up to this many characters are keyed by themselves; longer ones by a sample of them. */
const SHORT = 64;
/** Characters from each end of a long string in its key. */
const SAMPLE = 24;
/** Characters remembered per generation (source and masked text counted); two generations are kept. */
const GENERATION_CHARS = 8 * 1024 * 1024;
const NOTHING: Readonly<Record<string, number>> = Object.freeze({});

/**
 * A {@link TextMasker}'s results remembered by the text they were for. Looking a string up costs a hash of at
 * most ~60 characters and, on a hit, one comparison with the remembered string (a memory compare): a long
 * string is keyed by its length and its first and last 24 characters, not hashed whole — hashing every
 * character of a 100 KB request cost 150 µs per turn; this costs about 40.
 *
 * Bounded: two generations of at most 8 Mi characters each; when the current one is full it becomes the
 * previous one and the one before is dropped (a string found in the previous generation moves to the
 * current one), so what a live conversation resends stays and what no one sends any more goes. The
 * remembered strings live in this process's memory only.
 */
export class MaskMemo {
  private current = new Map<string, Remembered>();
  private previous = new Map<string, Remembered>();
  private chars = 0;

  constructor(
    private readonly masker: TextMasker,
    private readonly generationChars = GENERATION_CHARS,
  ) {}

  /** `text` masked (remembered, or masked now and remembered). */
  mask(text: string): MaskedString {
    if (text.length === 0) return { text, counts: NOTHING };
    const key = text.length <= SHORT ? text : `${text.length}:${text.slice(0, SAMPLE)}${text.slice(-SAMPLE)}`;
    const hit = find(this.current.get(key), text);
    if (hit) return hit;
    const old = find(this.previous.get(key), text);
    const result = old ?? this.fresh(text);
    this.remember(key, text, result);
    return result;
  }

  private fresh(text: string): MaskedString {
    const masked = this.masker.mask(text);
    if (masked.spans.length === 0) return { text, counts: NOTHING };
    return { text: masked.text, counts: masked.counts };
  }

  private remember(key: string, source: string, result: MaskedString): void {
    const size = source.length + (result.text === source ? 0 : result.text.length);
    if (this.chars + size > this.generationChars) {
      this.previous = this.current;
      this.current = new Map();
      this.chars = 0;
    }
    this.chars += size;
    const { text, counts } = result;
    this.current.set(key, { source, text, counts, next: this.current.get(key) });
  }
}

function find(chain: Remembered | undefined, text: string): Remembered | undefined {
  for (let entry = chain; entry; entry = entry.next) if (entry.source === text) return entry;
  return undefined;
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
    this.last = {
      policy,
      active: policy.effective.detectors.some((d) => d.enabled) || policy.outbound !== null,
      text: new MaskMemo(policy.text),
      outbound: policy.outbound ? new MaskMemo(policy.outbound) : null,
      actionOf: (detector) => actions.get(detector) ?? { type: 'redact' },
    };
    return this.last;
  }
}
