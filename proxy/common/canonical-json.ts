/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no insignificant whitespace, numbers and strings
 * serialised as ECMAScript's JSON.stringify does. For JSON-compatible values this matches RFC 8785 (JCS),
 * so the team server or an auditor can recompute hashes in any language.
 *
 * `undefined` object members are dropped (as JSON.stringify does); non-finite numbers become `null`.
 * @throws TypeError for BigInt values and for cyclic structures (via stack overflow guard).
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, 0);
}

const MAX_DEPTH = 512;

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
