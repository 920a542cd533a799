/**
 * Masking a reply before it is stored (DESIGN.md, "Masking"): its checkpoints while it streams, and its seal.
 * The client is never kept waiting for it: bytes are relayed as the outbox rules say (reply-outbox.ts), and
 * only what is written to the store is masked.
 *
 * A value split across stream deltas, TCP reads or checkpoints is masked as a whole. The SSE parser and the
 * assembler already join TCP reads into events and deltas into a block's text; a checkpoint then stores only
 * the *finished* part of each text still streaming (hold-back.ts): the tail that could still become a secret
 * waits for the next checkpoint, or for the block's end. The finished part is masked with the text before it
 * in view (up to {@link LOOKBACK} characters), so a detector that needs a name before a value still finds it.
 * The seal masks the whole message again, as one: that is the record.
 */
import type { DeltaKey } from '../store/inflight-deltas.js';
import type { ContentDelta } from './assembler.js';
import { FinishedPart, finishedUpTo } from './hold-back.js';
import { maskBody, type StringMasker } from './json-masking.js';
import type { MaskedString, PolicyMasking } from './mask-memo.js';
import { asRecord } from './message.js';

/** Characters before a checkpoint's new text that its masking looks at too. */
export const LOOKBACK = 512;

/** Strings up to this long are masked through the memo (headers, ids, model names recur); longer ones directly. */
const REMEMBERED = 256;

/** Fields of a content block that stream in as text (`append` deltas). */
const STREAMED = ['text', 'thinking', 'signature'] as const;

/** One streamed field of one block: its text so far, and how much of it checkpoints have stored. */
interface GrowingText {
  at: DeltaKey[];
  index: number;
  raw: string;
  /** Characters of `raw` stored (masked) so far. */
  stored: number;
  finished: FinishedPart;
}

/** The masking of one exchange's reply; see the module comment. */
export class ReplyMasking {
  private readonly fields = new Map<string, GrowingText>();
  /** Masks whole values: short strings through the memo, long ones (new text) directly, unremembered. */
  private readonly strings: StringMasker;

  constructor(private readonly masking: PolicyMasking) {
    const { policy, text } = masking;
    this.strings = {
      mask: (value: string): MaskedString =>
        value.length <= REMEMBERED ? text.mask(value) : policy.text.mask(value),
    };
  }

  /**
   * A checkpoint's content changes (paths from the message, as MessageAssembler.takeChanges gives them),
   * masked: block starts, tool inputs and citations masked whole; streamed text appended only as far as it
   * is finished — all of it once its block has ended (`isOpen` false).
   */
  content(changes: readonly ContentDelta[], isOpen: (index: number) => boolean): ContentDelta[] {
    const out: ContentDelta[] = [];
    for (const change of changes) {
      if ('append' in change) {
        this.field(change.at).raw += change.append;
      } else if ('set' in change) {
        out.push({ at: change.at, set: this.whole(change.set).value });
        // A block's start: text it starts with is stored masked with it; what streams in after follows.
        const block = change.at.length === 2 ? asRecord(change.set) : undefined;
        for (const name of STREAMED) {
          const text = block?.[name];
          if (typeof text === 'string') this.startField([...change.at, name], text);
        }
      } else if ('push' in change) {
        out.push({ at: change.at, push: this.whole(change.push).value });
      } else if ('merge' in change) {
        out.push({ at: change.at, merge: this.whole(change.merge).value });
      } else out.push(change);
    }
    for (const [key, field] of this.fields) {
      const open = isOpen(field.index);
      const end = open ? field.finished.end(field.raw, field.stored) : field.raw.length;
      if (end > field.stored) {
        out.push({ at: field.at, append: this.maskFinished(field, end) });
        field.stored = end;
      }
      if (!open) this.fields.delete(key);
    }
    return out;
  }

  /**
   * The outcome's other fields in a checkpoint, masked; a body still arriving (a reply that is not an event
   * stream) only as far as it is finished.
   */
  checkpointFields(fields: Record<string, unknown>): Record<string, unknown> {
    const raw = fields.body_raw;
    const held = typeof raw === 'string' ? { ...fields, body_raw: raw.slice(0, finishedUpTo(raw)) } : fields;
    return this.whole(held).value;
  }

  /**
   * The sealed outcome payload masked whole, with `masked: {detector: count}` when anything was. Text cut
   * at the storage cap (`response_truncated`, `body_truncated`) keeps only its finished part: the cut may
   * have halved a value.
   */
  seal(payload: Record<string, unknown>): Record<string, unknown> {
    let whole = payload;
    const raw = whole.body_raw;
    if (whole.body_truncated === true && typeof raw === 'string')
      whole = { ...whole, body_raw: raw.slice(0, finishedUpTo(raw)) };
    const response = asRecord(whole.response);
    const content = response?.content;
    if (whole.response_truncated === true && Array.isArray(content) && content.length > 0) {
      const last = { ...asRecord(content[content.length - 1]) };
      for (const name of STREAMED) {
        const text = last[name];
        if (typeof text === 'string') last[name] = text.slice(0, finishedUpTo(text));
      }
      whole = { ...whole, response: { ...response, content: [...content.slice(0, -1), last] } };
    }
    const masked = this.whole(whole);
    return Object.keys(masked.counts).length > 0 ? { ...masked.value, masked: masked.counts } : masked.value;
  }

  /**
   * Every string in `value` masked (json-masking.ts `maskBody`: object keys, thinking signatures and
   * redacted thinking left as they are), copy-on-write.
   */
  private whole<T>(value: T) {
    return maskBody(value, this.strings);
  }

  /** The field at `at`, started empty when it has not been seen. */
  private field(at: DeltaKey[]): GrowingText {
    return this.fields.get(at.join('\u0000')) ?? this.startField(at, '');
  }

  /** Starts (or starts again) the field at `at` with `text`, stored already (masked with its block). */
  private startField(at: DeltaKey[], text: string): GrowingText {
    const index = typeof at[1] === 'number' ? at[1] : -1;
    const field = { at, index, raw: text, stored: text.length, finished: new FinishedPart() };
    this.fields.set(at.join('\u0000'), field);
    return field;
  }

  /**
   * `field.raw` from what is stored to `end`, masked with the text before it in view: each value a detector
   * finds is replaced by its policy action (CompiledPolicy.maskValue, what the text masker writes too).
   */
  private maskFinished(field: GrowingText, end: number): string {
    const { policy, actionOf } = this.masking;
    const { raw, stored } = field;
    const from = Math.max(0, stored - LOOKBACK);
    const { spans } = policy.text.mask(raw.slice(from, end));
    let out = '';
    let at = stored;
    for (const span of spans) {
      const start = span.start + from;
      const stop = span.end + from;
      if (stop <= stored) continue; // stored, masked, before
      // A value begun before `stored` (only a name or a scheme can be: see hold-back.ts) is replaced whole.
      out += raw.slice(at, Math.max(at, start));
      out += policy.maskValue(raw.slice(start, stop), actionOf(span.detector), span.detector);
      at = stop;
    }
    return out + raw.slice(at, end);
  }
}
