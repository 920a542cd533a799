import { type PointerEvent, useEffect, useRef } from 'react';
import { duration } from '../format';
import type { Axis, SegmentKind } from './axis';
import { type Replay, SPEEDS } from './useReplay';

const COLOURS: Record<SegmentKind, string> = { model: '--c-model', tool: '--c-tool', db: '--c-db' };
const LABELS: Record<SegmentKind, string> = { model: 'model', tool: 'tool execution', db: 'database' };

/** Draws the axis: where time went (model, tools, database) as coloured spans, and the cursor. */
function drawAxis(canvas: HTMLCanvasElement, axis: Axis, cursor: number | null): void {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const style = getComputedStyle(canvas);
  const span = Math.max(axis.end - axis.start, 1);
  const x = (t: number) => ((t - axis.start) / span) * width;
  ctx.fillStyle = style.getPropertyValue('--c-track');
  ctx.fillRect(0, height / 2 - 3, width, 6);
  for (const kind of ['tool', 'model', 'db'] as const) {
    ctx.fillStyle = style.getPropertyValue(COLOURS[kind]);
    for (const s of axis.segments) {
      if (s.kind === kind) ctx.fillRect(x(s.start), 4, Math.max(x(s.end) - x(s.start), 1), height - 8);
    }
  }
  if (cursor !== null) {
    ctx.fillStyle = style.getPropertyValue('--c-cursor');
    ctx.fillRect(Math.min(x(cursor), width - 2), 0, 2, height);
  }
}

/**
 * Replay controls: play/pause, 1×/4×/16×, step back and forward, stop, and a scrubber on the session's time
 * axis showing model, tool and database time. Click or drag the axis to seek.
 */
export function ReplayBar({ axis, replay }: { axis: Axis; replay: Replay }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current) drawAxis(canvas.current, axis, replay.cursor);
  }, [axis, replay.cursor]);
  useEffect(() => {
    const redraw = () => canvas.current && drawAxis(canvas.current, axis, replay.cursor);
    window.addEventListener('resize', redraw);
    return () => window.removeEventListener('resize', redraw);
  }, [axis, replay.cursor]);
  const seekAt = (event: PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    replay.seek(axis.start + ((event.clientX - rect.left) / rect.width) * (axis.end - axis.start));
  };
  const kinds = [...new Set(axis.segments.map((s) => s.kind))];
  const elapsed = replay.cursor === null ? axis.end - axis.start : replay.cursor - axis.start;
  return (
    <div
      className="replay"
      data-testid="replay"
      data-state={
        replay.ended ? 'ended' : replay.playing ? 'playing' : replay.cursor === null ? 'off' : 'paused'
      }
    >
      <div className="replay-controls">
        <button type="button" className="btn" onClick={() => replay.step(-1)} title="previous step">
          ‹ Step
        </button>
        {replay.playing ? (
          <button type="button" className="btn btn-primary" onClick={replay.pause}>
            Pause
          </button>
        ) : (
          <button type="button" className="btn btn-primary" onClick={replay.play}>
            {replay.ended ? 'Replay again' : 'Play'}
          </button>
        )}
        <button type="button" className="btn" onClick={() => replay.step(1)} title="next step">
          Step ›
        </button>
        <span className="seg">
          {SPEEDS.map((speed) => (
            <button
              key={speed}
              type="button"
              className={`btn${replay.speed === speed ? ' on' : ''}`}
              onClick={() => replay.setSpeed(speed)}
            >
              {speed}×
            </button>
          ))}
        </span>
        {replay.cursor !== null ? (
          <button type="button" className="btn" onClick={replay.stop}>
            Show all
          </button>
        ) : null}
        <span className="mono small replay-time">
          {duration(Math.max(elapsed, 0))} / {duration(axis.end - axis.start)}
        </span>
        {replay.ended ? <span className="small ok-text">Replay finished</span> : null}
        <span className="legend small">
          {kinds.map((kind) => (
            <span key={kind}>
              <i className={`swatch swatch-${kind}`} />
              {LABELS[kind]}
            </span>
          ))}
        </span>
      </div>
      <canvas
        ref={canvas}
        className="axis"
        aria-label="time axis; click to seek"
        onPointerDown={(event) => {
          event.currentTarget.setPointerCapture(event.pointerId);
          seekAt(event);
        }}
        onPointerMove={(event) => {
          if (event.buttons === 1) seekAt(event);
        }}
      />
    </div>
  );
}
