import type { DeltaKey, InflightDelta } from '../store/inflight-deltas.js';
import { asRecord } from './message.js';
import { type OutcomeState, outcomePayload } from './outcome.js';

/** Fields of the outcome that change at nearly every checkpoint of a streaming reply: compared one by one. */
const VOLATILE = new Set(['response_bytes', 'sse_events', 'timings']);

/** The outcome as a checkpoint left it, in JSON. */
interface Written {
  /**
   * Every field but the volatile ones, as one object; under `response`, a streamed message's fields with
   * an empty content (its blocks go by the assembler's changes).
   */
  rest: string;
  /** Each volatile field. */
  volatile: Map<string, string>;
}

/** What one checkpoint write carries until its commit is confirmed. */
interface Unconfirmed {
  /** JSON of the content deltas taken from the assembler (they are taken once: kept until written). */
  content: string[];
  written: Written;
}

/**
 * Turns an exchange's outcome into checkpoints by what is new (store/inflight-deltas.ts): each checkpoint
 * carries the content streamed since the last one (a block's start, the text added to each of its fields, a
 * tool input once parsed) and the outcome's other fields that changed (status, timings, usage, event counts…;
 * small, compared as JSON). So checkpointing a reply writes each of its bytes about once, however long it
 * streams, instead of the whole reply so far every time. The fields that change at every checkpoint (bytes,
 * event counts) are compared one by one, the others as one JSON text, so a checkpoint serialises the small
 * fields once, as a whole checkpoint of a short reply did.
 *
 * A checkpoint counts as written once its commit is confirmed ({@link CheckpointDeltas.confirm}): if its
 * write failed, the next one carries its changes again.
 */
export class CheckpointDeltas {
  private written: Written = { rest: '{}', volatile: new Map() };
  private unconfirmed: Unconfirmed | undefined;

  /**
   * The next checkpoint: every change since the last confirmed one, as the JSON text of an array of deltas,
   * one line as JSON.stringify writes it; `[]` when nothing changed.
   */
  next(state: OutcomeState): string {
    const payload = outcomePayload(state, 'streaming');
    const deltas: string[] = [];
    const volatile = new Map<string, string>();
    let rest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(payload)) {
      if (VOLATILE.has(key)) {
        const json = JSON.stringify(value) ?? 'null';
        volatile.set(key, json);
        if (this.written.volatile.get(key) !== json) deltas.push(setDelta([key], json));
      } else rest[key] = value;
    }
    let message = state.assembler ? asRecord(rest.response) : undefined;
    if (message) {
      // The content goes by the assembler's changes: an empty array here, so the first checkpoint makes one.
      const { content: _content, ...fields } = message;
      rest.response = { ...fields, content: [] };
    }
    if (state.masking) {
      rest = state.masking.checkpointFields(rest);
      if (message) message = asRecord(rest.response);
    }
    const restJson = JSON.stringify(rest);
    if (this.written.rest === '{}') {
      // The first checkpoint: every field is new, and there is no response to keep yet.
      deltas.push(`{"at":[],"merge":${restJson}}`);
    } else if (restJson !== this.written.rest) {
      const before = JSON.parse(this.written.rest) as Record<string, unknown>;
      // Only when something there changed (a block boundary, the usage, an error), so rarely.
      if (message) {
        const { response, ...others } = rest;
        const { response: responseBefore, ...othersBefore } = before;
        diffFields([], othersBefore, others, deltas);
        diffFields(['response'], asRecord(responseBefore) ?? {}, asRecord(response) ?? {}, deltas);
      } else diffFields([], before, rest, deltas);
    }
    const { assembler, masking } = state;
    const changes = assembler?.takeChanges() ?? [];
    // Masked for storage: streamed text only as far as it is finished (reply-masking.ts).
    const shown = assembler && masking ? masking.content(changes, (i) => assembler.isOpen(i)) : changes;
    const taken = shown.map((change) =>
      JSON.stringify({ ...change, at: ['response', ...change.at] } as InflightDelta),
    );
    const content = this.unconfirmed ? [...this.unconfirmed.content, ...taken] : taken;
    this.unconfirmed = { content, written: { rest: restJson, volatile } };
    return `[${[...deltas, ...content].join(',')}]`;
  }

  /** The last checkpoint from {@link CheckpointDeltas.next} is durable: later ones carry only what follows it. */
  confirm(): void {
    if (!this.unconfirmed) return;
    this.written = this.unconfirmed.written;
    this.unconfirmed = undefined;
  }
}

function setDelta(at: DeltaKey[], json: string): string {
  return `{"at":${JSON.stringify(at)},"set":${json}}`;
}

/**
 * Adds to `deltas` a `set` for each field of the object at `at` whose JSON changed or that is new, and an
 * `unset` for each that went away (own fields only: a field may be called `__proto__`).
 */
function diffFields(
  at: DeltaKey[],
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  deltas: string[],
): void {
  for (const [key, value] of Object.entries(after)) {
    const json = JSON.stringify(value) ?? 'null';
    if (!Object.hasOwn(before, key) || JSON.stringify(before[key]) !== json)
      deltas.push(setDelta([...at, key], json));
  }
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) deltas.push(JSON.stringify({ at: [...at, key], unset: true }));
  }
}
