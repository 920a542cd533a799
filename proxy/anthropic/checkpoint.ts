import type { DeltaKey, InflightDelta } from '../store/inflight-deltas.js';
import { asRecord } from './message.js';
import { type OutcomeState, outcomePayload } from './outcome.js';

/** A field as a checkpoint left it: a primitive as it is, an object as its JSON (and the object). */
type Seen = string | number | boolean | null | undefined | { ref: object; json: string };

/** What one checkpoint write carries until its commit is confirmed. */
interface Unconfirmed {
  /** Content deltas taken from the assembler (they are taken once: kept until written). */
  content: InflightDelta[];
  /** Every field as this write leaves it. */
  fields: Map<string, Seen>;
}

/**
 * Fields whose object is set once and never changed in place, so the same object needs no new comparison:
 * the response head's headers (OutcomeState.responseHeaders), the largest of the small fields.
 */
const SET_ONCE = new Set(['response_headers']);

/**
 * Turns an exchange's outcome into checkpoints by what is new (store/inflight-deltas.ts): each checkpoint
 * carries the content streamed since the last one (a block's start, the text added to each of its fields, a
 * tool input once parsed) and the outcome's other fields that changed (status, timings, usage, event counts…;
 * small, compared as JSON). So checkpointing a reply writes each of its bytes about once, however long it
 * streams, instead of the whole reply so far every time.
 *
 * A checkpoint counts as written once its commit is confirmed ({@link CheckpointDeltas.confirm}): if its
 * write failed, the next one carries its changes again.
 */
export class CheckpointDeltas {
  /** Each field as the last confirmed checkpoint left it, by its path joined with NUL. */
  private written = new Map<string, Seen>();
  private unconfirmed: Unconfirmed | undefined;

  /** The deltas of the next checkpoint: every change since the last confirmed one (maybe none). */
  next(state: OutcomeState): InflightDelta[] {
    const payload = outcomePayload(state, 'streaming');
    const fields = new Map<string, Seen>();
    const deltas: InflightDelta[] = [];
    const compare = (at: DeltaKey[], value: unknown) => {
      const key = at.length === 1 ? String(at[0]) : at.join('\u0000');
      const last = this.written.get(key);
      if (typeof value !== 'object' || value === null) {
        fields.set(key, value as Seen);
        if (last !== value) deltas.push({ at, set: value });
        return;
      }
      if (typeof last === 'object' && last !== null && last.ref === value && SET_ONCE.has(key)) {
        fields.set(key, last);
        return;
      }
      const json = JSON.stringify(value);
      fields.set(key, { ref: value, json });
      if (typeof last !== 'object' || last === null || last.json !== json) deltas.push({ at, set: value });
    };
    for (const [key, value] of Object.entries(payload)) {
      const message = key === 'response' && state.assembler ? asRecord(value) : undefined;
      if (!message) {
        compare([key], value);
        continue;
      }
      // A streamed message's content reaches checkpoints as the assembler's changes; its other fields
      // (id, model, usage, stop_reason…) are compared like the rest.
      for (const [field, fieldValue] of Object.entries(message)) {
        if (field !== 'content') compare(['response', field], fieldValue);
      }
    }
    for (const key of this.written.keys()) {
      if (!fields.has(key)) deltas.push({ at: key.split('\u0000'), unset: true });
    }
    const taken = (state.assembler?.takeChanges() ?? []).map(
      (change): InflightDelta => ({ ...change, at: ['response', ...change.at] }),
    );
    const content = this.unconfirmed ? [...this.unconfirmed.content, ...taken] : taken;
    this.unconfirmed = { content, fields };
    return [...deltas, ...content];
  }

  /** The last checkpoint from {@link CheckpointDeltas.next} is durable: later ones carry only what follows it. */
  confirm(): void {
    if (!this.unconfirmed) return;
    this.written = this.unconfirmed.fields;
    this.unconfirmed = undefined;
  }
}
