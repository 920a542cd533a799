import type { MaskedText } from './types.js';

/** A JSON value after masking, and how many values each detector masked in it. */
export interface MaskedJson<T> {
  /** The masked value: `value` itself when nothing in it was masked. */
  value: T;
  counts: Record<string, number>;
}

interface Frame {
  source: Record<string, unknown> | unknown[];
  /** Object keys, or null for an array. */
  keys: string[] | null;
  length: number;
  index: number;
  /** The copy made once a member changed; null while none has. */
  copy: Record<string, unknown> | unknown[] | null;
  /** Where this container sits in its parent. */
  at: string | number;
}

/**
 * Masks every string in a parsed JSON value (object keys are left as they are) with `mask`, copy-on-write:
 * an object or array is copied only when something inside it changed, so unchanged subtrees are the very
 * same objects (callers may compare by identity) and a value with nothing to mask is returned as is. Never
 * mutates its input. Iterative, so however deep the value nests the stack does not overflow.
 */
export function maskJsonWith<T>(value: T, mask: (text: string) => MaskedText): MaskedJson<T> {
  const counts: Record<string, number> = {};
  const maskString = (text: string): string => {
    const masked = mask(text);
    for (const [id, n] of Object.entries(masked.counts)) counts[id] = (counts[id] ?? 0) + n;
    return masked.text;
  };
  if (typeof value === 'string') return { value: maskString(value) as T, counts };
  if (typeof value !== 'object' || value === null) return { value, counts };

  const stack: Frame[] = [frame(value as object, 0)];
  for (;;) {
    const top = stack[stack.length - 1]!;
    if (top.index < top.length) {
      const key = top.keys ? top.keys[top.index]! : top.index;
      top.index++;
      const child = (top.source as Record<string | number, unknown>)[key];
      if (typeof child === 'string') {
        const masked = maskString(child);
        if (masked !== child) set(top, key, masked);
      } else if (typeof child === 'object' && child !== null) {
        stack.push(frame(child, key));
      }
      continue;
    }
    stack.pop();
    const parent = stack[stack.length - 1];
    if (!parent) return { value: (top.copy ?? top.source) as T, counts };
    if (top.copy) set(parent, top.at, top.copy);
  }
}

function frame(source: object, at: string | number): Frame {
  const keys = Array.isArray(source) ? null : Object.keys(source);
  const length = keys ? keys.length : (source as unknown[]).length;
  return { source: source as Frame['source'], keys, length, index: 0, copy: null, at };
}

/** Sets a member of the frame's copy, making the copy first. A `__proto__` key stays a plain member. */
function set(frame: Frame, key: string | number, value: unknown): void {
  if (!frame.copy) frame.copy = Array.isArray(frame.source) ? frame.source.slice() : { ...frame.source };
  if (key === '__proto__') {
    Object.defineProperty(frame.copy, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    (frame.copy as Record<string | number, unknown>)[key] = value;
  }
}
