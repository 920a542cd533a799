/** Deeper JSON is stored raw: canonical serialisation (and any reader) should not recurse that far. */
export const MAX_NESTING = 256;

/**
 * Nesting depth of a parsed JSON value (1 for a flat object or array, 0 for a primitive), computed without
 * recursion and stopping once past MAX_NESTING. Only containers are visited, on two parallel stacks, since
 * this runs on every request before it can be forwarded.
 */
export function nestingDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  const items: object[] = [value];
  const depths: number[] = [1];
  while (items.length > 0) {
    const item = items.pop()!;
    const depth = depths.pop()!;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > MAX_NESTING) return deepest;
    }
    const children = Array.isArray(item) ? item : Object.values(item);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        items.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return deepest;
}
