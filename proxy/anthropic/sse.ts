/** One dispatched server-sent event: its `event:` name (default "message") and joined `data:` lines. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Incremental parser for a `text/event-stream` body (WHATWG HTML Living Standard, "9.2 Server-sent events",
 * event stream interpretation). Feed it bytes as they arrive, split anywhere — inside a line or inside a
 * multi-byte UTF-8 character — and it returns the events completed by that chunk.
 *
 * Lines end in CRLF, LF or CR; a blank line dispatches the event; lines starting with ':' are comments;
 * `id` and `retry` are accepted and ignored (the Anthropic API does not use them). A single line longer than
 * `maxLineBytes` is dropped and counted in {@link SseParser.oversizedLines} instead of growing without bound.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private eventName = '';
  private data: string[] = [];
  /** Characters in {@link data}, kept as they are added. */
  private dataChars = 0;
  private skipLeadingLf = false;
  oversizedLines = 0;

  constructor(private readonly maxLineBytes = 16 * 1024 * 1024) {}

  /** Parses one chunk; returns the events it completed (often none, sometimes several). */
  push(chunk: Uint8Array): ServerSentEvent[] {
    return this.consume(this.decoder.decode(chunk, { stream: true }));
  }

  /** Length of {@link pending}'s text in UTF-16 code units, without building it. */
  get pendingChars(): number {
    return this.eventName.length + this.dataChars + this.data.length + this.buffer.length + 1;
  }

  /**
   * The text of the event in progress: its name and data lines so far and the unfinished line. Together with
   * the next chunk it is all the text the events that chunk completes can hold.
   */
  pending(): string {
    return `${this.eventName}\n${this.data.join('\n')}\n${this.buffer}`;
  }

  /** True when the text so far ends inside a line: its line break has not come yet. */
  get midLine(): boolean {
    return this.buffer !== '';
  }

  /** Flushes the stream's end; a final event without its blank line is *not* dispatched, per the standard. */
  end(): ServerSentEvent[] {
    return this.consume(this.decoder.decode());
  }

  private consume(text: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    let input = text;
    // A CR ended the previous chunk: an LF opening this one completes that CRLF. An empty chunk says nothing yet.
    if (this.skipLeadingLf && input !== '') {
      if (input.startsWith('\n')) input = input.slice(1);
      this.skipLeadingLf = false;
    }
    // The buffer holds no line break, so only the new text is scanned: rescanning the buffered start of a long
    // line on every chunk made parsing it quadratic (seconds of blocked event loop for a line of a few MB).
    let start = 0;
    for (let i = 0; i < input.length; i++) {
      const ch = input.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      this.line(this.buffer + input.slice(start, i), events);
      this.buffer = '';
      if (ch === 13) {
        if (i + 1 < input.length) {
          if (input.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = i + 1;
    }
    this.buffer += input.slice(start);
    if (this.buffer.length > this.maxLineBytes) {
      this.buffer = '';
      this.oversizedLines++;
    }
    return events;
  }

  private line(line: string, events: ServerSentEvent[]): void {
    if (line === '') {
      if (this.data.length > 0)
        events.push({ event: this.eventName || 'message', data: this.data.join('\n') });
      this.data = [];
      this.dataChars = 0;
      this.eventName = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') {
      this.data.push(value);
      this.dataChars += value.length;
    }
  }
}
