import { useCallback, useEffect, useRef, useState } from 'react';
import { type Axis, advance, firstAfter, lastAtOrBefore } from './axis';

/** Playback speeds offered. */
export const SPEEDS = [1, 4, 16] as const;

/** The replay's state: off (everything shown), or a cursor (µs since epoch) playing or paused. */
export interface Replay {
  /** null when not replaying: the view shows everything. */
  cursor: number | null;
  playing: boolean;
  speed: number;
  ended: boolean;
  play: () => void;
  pause: () => void;
  stop: () => void;
  setSpeed: (speed: number) => void;
  /** Moves to the next (+1) or previous (-1) moment something happens, pausing playback. */
  step: (direction: 1 | -1) => void;
  /** Moves the cursor to `t` (µs since epoch), pausing playback. */
  seek: (t: number) => void;
}

/** Drives a replay over `axis` with requestAnimationFrame. */
export function useReplay(axis: Axis): Replay {
  const [cursor, setCursorState] = useState<number | null>(null);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const axisRef = useRef(axis);
  axisRef.current = axis;
  const cursorRef = useRef<number | null>(null);
  const setCursor = useCallback((value: number | null) => {
    cursorRef.current = value;
    setCursorState(value);
  }, []);

  useEffect(() => {
    if (!playing) return;
    let frame = 0;
    let last = performance.now();
    const tick = (now: number) => {
      const current = axisRef.current;
      const next = advance(current, cursorRef.current ?? current.start, Math.max(now - last, 0), speed);
      last = now;
      setCursor(next);
      if (next >= current.end) setPlaying(false);
      else frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [playing, speed, setCursor]);

  const play = useCallback(() => {
    const c = cursorRef.current;
    if (c === null || c >= axisRef.current.end) setCursor(axisRef.current.start);
    setPlaying(true);
  }, [setCursor]);
  const pause = useCallback(() => setPlaying(false), []);
  const stop = useCallback(() => {
    setPlaying(false);
    setCursor(null);
  }, [setCursor]);
  const step = useCallback(
    (direction: 1 | -1) => {
      setPlaying(false);
      const { marks, start, end } = axisRef.current;
      const from = cursorRef.current ?? start - 1;
      setCursor(
        direction === 1 ? (firstAfter(marks, from) ?? end) : (lastAtOrBefore(marks, from - 1) ?? start),
      );
    },
    [setCursor],
  );
  const seek = useCallback(
    (t: number) => {
      setPlaying(false);
      setCursor(Math.min(Math.max(t, axisRef.current.start), axisRef.current.end));
    },
    [setCursor],
  );
  const ended = cursor !== null && cursor >= axis.end && !playing;
  return { cursor, playing, speed, ended, play, pause, stop, setSpeed, step, seek };
}
