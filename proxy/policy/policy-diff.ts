import { isDeepStrictEqual } from 'node:util';
import type { EffectivePolicy } from './effective.js';

/**
 * One difference between two effective policies: where, as a JSON Pointer (RFC 6901) into the effective
 * policy with detectors and custom patterns addressed by id (`/detectors/pii.email/action`,
 * `/custom/custom.order_id/pattern`, `/columns/0`, guard rules by id: `/guardrails/rules/pg.drop/action`, and
 * `/guardrails/rules/(order)` listing the ids both sides have when only their order changed), and the values before and after (absent when there was
 * none). Policies hold no secret values (a custom pattern is a definition, not a secret), so values are
 * recorded as they are.
 */
export interface PolicyChange {
  path: string;
  from?: unknown;
  to?: unknown;
}

/** Arrays whose members are matched by their `id` rather than their position. */
const BY_ID = new Set(['/detectors', '/custom', '/guardrails/rules']);
/** Arrays matched by id whose order matters too (the first matching guard rule wins). */
const ORDERED = new Set(['/guardrails/rules']);

/** What changed from `before` to `after` (their `version` aside), in document order. Empty when nothing. */
export function diffPolicies(before: EffectivePolicy, after: EffectivePolicy): PolicyChange[] {
  const changes: PolicyChange[] = [];
  const { version: _a, ...a } = before;
  const { version: _b, ...b } = after;
  walk(a, b, '', changes);
  return changes;
}

function walk(a: unknown, b: unknown, path: string, changes: PolicyChange[]): void {
  if (isDeepStrictEqual(a, b)) return;
  if (a === undefined) return void changes.push({ path, to: b });
  if (b === undefined) return void changes.push({ path, from: a });
  if (Array.isArray(a) && Array.isArray(b) && BY_ID.has(path)) {
    const byId = (list: unknown[]) => new Map(list.map((item) => [(item as { id: string }).id, item]));
    const left = byId(a);
    const right = byId(b);
    const ids = [...left.keys(), ...[...right.keys()].filter((id) => !left.has(id))];
    for (const id of ids) walk(left.get(id), right.get(id), `${path}/${pointerToken(id)}`, changes);
    if (ORDERED.has(path)) {
      const order = (list: Map<string, unknown>, other: Map<string, unknown>) =>
        [...list.keys()].filter((id) => other.has(id));
      const before = order(left, right);
      const after = order(right, left);
      if (!isDeepStrictEqual(before, after))
        changes.push({ path: `${path}/(order)`, from: before, to: after });
    }
    return;
  }
  // An action ({type, keep?}) is one value: `partial` → `hash` reads better whole than field by field.
  const objects = isRecord(a) && isRecord(b) && !('type' in a) && !('type' in b);
  const rows = Array.isArray(a) && Array.isArray(b) && a.concat(b).every(isRecord);
  if (objects || rows) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
    for (const key of keys) {
      walk(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${path}/${pointerToken(key)}`,
        changes,
      );
    }
    return;
  }
  changes.push({ path, from: a, to: b });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON Pointer reference token (RFC 6901 §3: `~` as `~0`, `/` as `~1`). */
function pointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
