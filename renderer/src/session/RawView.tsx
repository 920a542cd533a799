import { useCallback } from 'react';
import type { RecordedEvent } from '../../../proxy/api/types';
import { clockMs } from '../format';
import { VirtualList } from '../ui/VirtualList';

/** Estimated height of a raw event from its JSON size (lines × line height), before it is measured. */
function estimate(event: RecordedEvent): number {
  return 44 + Math.min(JSON.stringify(event.payload).length / 40, 400) * 1;
}

/**
 * Every recorded event exactly as stored: seq, time, kind, hash, and the payload pretty-printed from the
 * canonical JSON (the request and response bodies as recorded). Windowed, so large sessions stay fast; laid
 * out as the conversation and statement entries are (same gutter, the keyboard-focused one marked).
 */
export function RawView({
  events,
  scrollElement,
  focusIndex,
}: {
  events: readonly RecordedEvent[];
  scrollElement: HTMLElement | null;
  focusIndex: number | null;
}) {
  const render = useCallback(
    (event: RecordedEvent, index: number) => (
      <div className={`entry${index === focusIndex ? ' focused' : ''}`}>
        <div className="raw-event" data-testid="raw-event">
          <div className="raw-head mono">
            <span>#{event.seq}</span>
            <span className="faint">{clockMs(event.ts)}</span>
            <span className="kind">{event.kind}</span>
            <span className="faint hash" title="chain hash">
              {event.hash.slice(0, 16)}…
            </span>
          </div>
          <pre className="code">{JSON.stringify(event.payload, null, 2)}</pre>
        </div>
      </div>
    ),
    [focusIndex],
  );
  return (
    <VirtualList
      items={events}
      scrollElement={scrollElement}
      estimate={estimate}
      itemKey={(event) => event.seq}
      render={render}
      focusIndex={focusIndex}
      className="entries"
    />
  );
}
