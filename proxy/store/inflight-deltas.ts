/**
 * Checkpoints of an exchange in flight, written by what is new (DESIGN.md, "Data model": a streaming reply is
 * checkpointed by what is new, never by rewriting all of it).
 *
 * An in-flight record is its first partial payload (the `inflight` row, written with the request) plus, in
 * the order written, the deltas of every checkpoint since (`inflight_parts` rows). A delta changes one place
 * in the payload, named by its path of object keys and array indexes:
 *  - `{"at": [...], "set": value}` puts a value there (a content block when it starts, a changed field);
 *  - `{"at": [...], "append": "text"}` adds text to the string there (a block's text as it streams);
 *  - `{"at": [...], "push": value}` adds an item to the array there (a citation);
 *  - `{"at": [...], "unset": true}` removes the field there;
 *  - `{"at": [...], "merge": {...}}` sets each field of the object given on the object there (`"at": []`: the
 *    payload itself), the other fields staying as they are (the first checkpoint's fields, in one piece).
 * Containers missing on the way are created (an object before a key, an array before an index). So each
 * checkpoint writes only the bytes that are new, and the partial payload is rebuilt by replaying the deltas.
 */

/** One step of a path: an object key or an array index. */
export type DeltaKey = string | number;

/** One change to a partial payload; see the module comment. */
export type InflightDelta =
  | { at: DeltaKey[]; set: unknown }
  | { at: DeltaKey[]; append: string }
  | { at: DeltaKey[]; push: unknown }
  | { at: DeltaKey[]; unset: true }
  | { at: DeltaKey[]; merge: Record<string, unknown> };

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/**
 * Applies `deltas` (parsed JSON, from this build or a journal) to `partial` in place, in order, and returns
 * it; `partial` is replaced by an empty object when it is not one. A delta that is malformed, or whose path
 * would leave the JSON data model (an index past an array's end, a key on a string), is skipped: a hand-edited
 * or damaged record loses that change, never the rest. Keys are defined as own data properties, so a key
 * such as `__proto__` stays data.
 */
export function applyDeltas(partial: unknown, deltas: unknown): Record<string, unknown> {
  const root = isContainer(partial) && !Array.isArray(partial) ? partial : {};
  if (!Array.isArray(deltas)) return root;
  for (const delta of deltas) applyDelta(root, delta);
  return root;
}

function applyDelta(root: Container, delta: unknown): void {
  if (!isContainer(delta) || Array.isArray(delta)) return;
  const at = delta.at;
  if (!Array.isArray(at)) return;
  if ('merge' in delta) {
    const fields = delta.merge;
    const target = reach(root, at, '');
    if (!target || Array.isArray(target) || !isContainer(fields) || Array.isArray(fields)) return;
    for (const key of Object.keys(fields)) put(target, key, (fields as Record<string, unknown>)[key]);
    return;
  }
  if (at.length === 0) return;
  const key = at[at.length - 1];
  const container = reach(root, at.slice(0, -1), key);
  if (!container) return;
  if ('set' in delta) put(container, key, delta.set);
  else if ('append' in delta && typeof delta.append === 'string') {
    const current = get(container, key);
    put(container, key, (typeof current === 'string' ? current : '') + delta.append);
  } else if ('push' in delta) {
    const current = get(container, key);
    if (Array.isArray(current)) current.push(delta.push);
    else put(container, key, [delta.push]);
  } else if ('unset' in delta && !Array.isArray(container) && typeof key === 'string') {
    delete container[key];
  }
}

/**
 * The container at path `at` from `root`, creating what is missing on the way (an object before a key, an
 * array before an index; `next` is the step that will follow the path); undefined where the path cannot go.
 */
function reach(root: Container, at: unknown[], next: unknown): Container | undefined {
  let container: Container = root;
  for (let i = 0; i < at.length; i++) {
    const key = at[i];
    const found = get(container, key);
    if (isContainer(found)) {
      container = found;
      continue;
    }
    if (found !== undefined) return undefined;
    const created: Container = typeof (i + 1 < at.length ? at[i + 1] : next) === 'number' ? [] : {};
    if (!put(container, key, created)) return undefined;
    container = created;
  }
  return container;
}

function get(container: Container, key: unknown): unknown {
  if (Array.isArray(container)) return typeof key === 'number' ? container[key] : undefined;
  return typeof key === 'string' && Object.hasOwn(container, key) ? container[key] : undefined;
}

/** Sets a key or index; false when the path step does not fit the container. */
function put(container: Container, key: unknown, value: unknown): boolean {
  if (Array.isArray(container)) {
    // Indexes stay dense: a hole would be stored as null, and a huge index as that many nulls.
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key > container.length) return false;
    container[key] = value;
    return true;
  }
  if (typeof key !== 'string') return false;
  Object.defineProperty(container, key, { value, writable: true, enumerable: true, configurable: true });
  return true;
}

/** An `inflight` row as SQLite returns it (its first partial payload still JSON text). */
export interface InflightRow {
  session_id: string;
  request_seq: number;
  kind: string;
  started_at: number;
  updated_at: number;
  partial: string;
}

/** An `inflight_parts` row: one checkpoint's deltas (JSON text); `id` its write order, `ts` µs since epoch. */
export interface InflightPartRow {
  id: number;
  ts: number;
  deltas: string;
}

/** An in-flight record with its partial payload rebuilt. */
export type RebuiltInflight = Omit<InflightRow, 'partial'> & { partial: Record<string, unknown> };

/** A rebuilt partial and how far into its checkpoints it is. */
interface Cached {
  started_at: number;
  partial: Record<string, unknown>;
  /** Id of the last checkpoint row applied (0: none). */
  lastPart: number;
  updated_at: number;
}

/**
 * Rebuilds in-flight records from their rows, keeping each rebuilt partial between reads so that the next
 * read of it applies only the checkpoints written since (the dashboard re-reads a reply in flight four times
 * a second): the work per read follows what is new, plus one copy of the partial for the caller. One per
 * store; an entry is dropped when its exchange is sealed ({@link InflightPartials.forget}) or is no longer
 * among the rows read.
 */
export class InflightPartials {
  private readonly cache = new Map<string, Cached>();

  /**
   * The records of `rows` (one session's, oldest first), each a copy the caller may keep or change.
   * `partsAfter(requestSeq, id)` reads an exchange's checkpoint rows with an id past `id`, in write order.
   */
  rebuild(
    sessionId: string,
    rows: readonly InflightRow[],
    partsAfter: (requestSeq: number, afterId: number) => InflightPartRow[],
  ): RebuiltInflight[] {
    const live = new Set<string>();
    const rebuilt = rows.map((row) => {
      const key = cacheKey(sessionId, row.request_seq);
      live.add(key);
      let cached = this.cache.get(key);
      if (!cached || cached.started_at !== row.started_at) {
        cached = {
          started_at: row.started_at,
          partial: applyDeltas(JSON.parse(row.partial) as unknown, []),
          lastPart: 0,
          updated_at: row.updated_at,
        };
        this.cache.set(key, cached);
      }
      for (const part of partsAfter(row.request_seq, cached.lastPart)) {
        applyDeltas(cached.partial, JSON.parse(part.deltas) as unknown);
        cached.lastPart = part.id;
        cached.updated_at = Math.max(cached.updated_at, part.ts);
      }
      return { ...row, updated_at: cached.updated_at, partial: structuredClone(cached.partial) };
    });
    const prefix = cacheKey(sessionId, '');
    for (const key of this.cache.keys()) if (key.startsWith(prefix) && !live.has(key)) this.cache.delete(key);
    return rebuilt;
  }

  /** Drops what is kept of an exchange (it was sealed). */
  forget(sessionId: string, requestSeq: number): void {
    this.cache.delete(cacheKey(sessionId, requestSeq));
  }
}

function cacheKey(sessionId: string, requestSeq: number | string): string {
  return `${sessionId}\u0000${requestSeq}`;
}
