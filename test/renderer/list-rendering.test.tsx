// @vitest-environment jsdom
import { act, cleanup, render, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clock, count, counted, sessionCost, when } from '../../renderer/src/format';
import { useNow } from '../../renderer/src/ui/useNow';
import { VirtualList } from '../../renderer/src/ui/VirtualList';

afterEach(cleanup);

describe('format', () => {
  it('gives what the per-call toLocale* methods give, from formatters built once', () => {
    const us = Date.UTC(2026, 10, 23, 14, 2, 11, 123) * 1000;
    expect(clock(us)).toBe(new Date(us / 1000).toLocaleTimeString(undefined, { hour12: false }));
    // Just after local midnight: hour 0, never 24 (what hour12: false gives in en-US).
    expect(clock(new Date(2026, 10, 23, 0, 5, 7).getTime() * 1000)).toMatch(/^0?0\D05\D07$/);
    expect(count(1234567.4)).toBe('1,234,567');
    expect(count(null)).toBe('—');
    const lastYear = us - 400 * 86_400_000_000;
    expect(when(lastYear, us)).toBe(
      `${new Date(lastYear / 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${clock(lastYear).slice(0, 5)}`,
    );
  });
});

describe('session totals', () => {
  it('never shows a partial or missing cost as the whole cost', () => {
    expect(sessionCost(1.27, 0)).toBe('$1.27');
    expect(sessionCost(1.27, 2)).toBe('$1.27+');
    expect(sessionCost(0, 1)).toBe('unpriced');
    expect(sessionCost(undefined, undefined)).toBe('$0');
    expect(counted(1, 'turn')).toBe('1 turn');
    expect(counted(2_000, 'turn')).toBe('2,000 turns');
  });
});

describe('VirtualList', () => {
  it('does not re-place every entry when its parent re-renders with the same items', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const calls = { estimate: 0 };
    const estimate = () => {
      calls.estimate++;
      return 20;
    };
    const itemKey = (n: number) => n;
    const scroller = document.createElement('div');
    document.body.append(scroller);
    const list = (label: string) => (
      <VirtualList
        items={items}
        scrollElement={scroller}
        estimate={estimate}
        itemKey={itemKey}
        // A new render function each time, as a parent's useCallback gives when its state changes.
        render={(n) => <span>{`${label} ${n}`}</span>}
      />
    );
    const view = render(list('a'));
    expect(calls.estimate).toBeGreaterThanOrEqual(items.length);
    const afterFirst = calls.estimate;
    view.rerender(list('b'));
    view.rerender(list('c'));
    expect(calls.estimate - afterFirst).toBeLessThan(100);
  });
});

describe('useNow', () => {
  it('ticks while asked to (a live session) and holds still otherwise', () => {
    vi.useFakeTimers();
    try {
      const live = renderHook(() => useNow(1000, true));
      const closed = renderHook(() => useNow(1000, false));
      const [liveStart, closedStart] = [live.result.current, closed.result.current];
      act(() => {
        vi.advanceTimersByTime(3_000);
      });
      expect(live.result.current - liveStart).toBeGreaterThanOrEqual(3_000_000);
      expect(closed.result.current).toBe(closedStart);
    } finally {
      vi.useRealTimers();
    }
  });
});
