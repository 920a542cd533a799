/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no insignificant whitespace, numbers and strings
 * serialised as ECMAScript's JSON.stringify does. For JSON-compatible values this matches RFC 8785 (JCS),
 * so the team server or an auditor can recompute hashes in any language.
 *
 * `undefined` object members are dropped (as JSON.stringify does); non-finite numbers become `null`.
 * @throws TypeError for BigInt values and for cyclic structures (via stack overflow guard).
 */
export function canonicalJson(value: unknown): string {
  // Most values reaching the store (pg.statement and pg.result payloads, anything built with sorted keys) are
  // already in canonical order; V8's native JSON.stringify then writes the canonical text several times
  // faster than the general path below.
  return inCanonicalOrder(value, 0) ? JSON.stringify(value) : serialise(value, 0);
}

const MAX_DEPTH = 512;

/**
 * True when JSON.stringify(value) is its canonical JSON: only null, booleans, strings, finite numbers, arrays
 * without holes and plain objects whose own keys are strictly ascending by UTF-16 code units — so no key that
 * V8 enumerates out of insertion order (array indices come first, numerically), no `undefined`, `toJSON`,
 * BigInt or anything else JSON.stringify and {@link serialise} might treat differently. Anything else (and
 * nesting past {@link MAX_DEPTH}, which the general path reports) answers false.
 */
function inCanonicalOrder(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !inCanonicalOrder(value[i], depth + 1)) return false;
        }
        return true;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      const record = value as Record<string, unknown>;
      let previous: string | undefined;
      for (const key of Object.keys(record)) {
        if (previous !== undefined && !(previous < key)) return false;
        if (key === 'toJSON' || !inCanonicalOrder(record[key], depth + 1)) return false;
        previous = key;
      }
      return true;
    }
    default:
      return false;
  }
}

function serialise(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new TypeError('canonicalJson: value nested deeper than 512 levels (cyclic?)');
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt is not JSON');
    case 'object': {
      if (Array.isArray(value)) {
        // A plain loop, not map(): map skips holes of sparse arrays, which would yield invalid JSON.
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) items.push(serialise(value[i], depth + 1));
        return `[${items.join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const toJson = (record as { toJSON?: () => unknown }).toJSON;
      if (typeof toJson === 'function') return serialise(toJson.call(record), depth + 1);
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const member = record[key];
        if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
        parts.push(`${JSON.stringify(key)}:${serialise(member, depth + 1)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}
