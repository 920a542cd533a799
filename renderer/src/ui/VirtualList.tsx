import { useVirtualizer } from '@tanstack/react-virtual';
import { type ReactNode, useCallback, useEffect } from 'react';

/** Props of {@link VirtualList}. */
export interface VirtualListProps<T> {
  items: readonly T[];
  /**
   * The scrolling element the list renders into, kept in state by the parent (a callback ref): a ref object
   * would still be empty when this list's layout effects first run, leaving it with no viewport to fill.
   */
  scrollElement: HTMLElement | null;
  /** Estimated height of an entry in px before it is measured. Keep it stable (module-level or memoised). */
  estimate: (item: T) => number;
  /** An entry's stable key. Keep it stable too: a new function makes the list re-place every entry. */
  itemKey: (item: T, index: number) => string | number;
  render: (item: T, index: number) => ReactNode;
  /** Index to keep in view (keyboard selection), or null. */
  focusIndex?: number | null;
  /** Called when the last rendered entry is within `overscan` of the end (load the next page). */
  onNearEnd?: () => void;
  className?: string;
}

/**
 * A windowed list of variable-height entries (TanStack Virtual): only the entries in view (plus a few) are in
 * the DOM, each measured after it renders, so 100,000 entries scroll like 100.
 */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, scrollElement, estimate, itemKey, render, focusIndex, onNearEnd } = props;
  // Both callbacks keep their identity while `items` does: the virtualizer recomputes every entry's position
  // (100,000 calls) whenever getItemKey changes, which on each scroll frame cost more than the rendering.
  const estimateSize = useCallback((index: number) => estimate(items[index]!), [estimate, items]);
  const getItemKey = useCallback((index: number) => itemKey(items[index]!, index), [itemKey, items]);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollElement,
    estimateSize,
    getItemKey,
    overscan: 6,
  });
  const rows = virtualizer.getVirtualItems();
  const lastIndex = rows[rows.length - 1]?.index ?? -1;
  useEffect(() => {
    if (onNearEnd && lastIndex >= items.length - 10) onNearEnd();
  }, [lastIndex, items.length, onNearEnd]);
  useEffect(() => {
    if (focusIndex !== null && focusIndex !== undefined && focusIndex < items.length) {
      virtualizer.scrollToIndex(focusIndex, { align: 'auto' });
    }
  }, [focusIndex, virtualizer, items.length]);
  return (
    <div className={props.className} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
      <div
        style={{
          position: 'absolute',
          top: 0,
          left: 0,
          right: 0,
          transform: `translateY(${rows[0]?.start ?? 0}px)`,
        }}
      >
        {rows.map((row) => (
          <div
            key={row.key}
            data-index={row.index}
            ref={virtualizer.measureElement}
            // Each entry lays out and paints on its own: mounting one while scrolling relayouts only it.
            style={{ contain: 'layout paint style' }}
          >
            {render(items[row.index]!, row.index)}
          </div>
        ))}
      </div>
    </div>
  );
}
