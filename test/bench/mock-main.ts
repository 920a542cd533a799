/**
 * Runs the mock Anthropic API as its own process for benchmarks, answering every streamed request with a text
 * reply of `argv[2]` deltas of 20 characters (or `x-bench-deltas`), with `x-bench-pace-ms` between events
 * (default: unpaced). Prints `LISTENING <url>` when ready.
 */
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const defaultDeltas = Number(process.argv[2] ?? 50);
const texts = new Map<number, string>();

function textFor(deltas: number): string {
  let text = texts.get(deltas);
  if (!text) {
    text = 'The quick brown fox jumps over the lazy dog. '
      .repeat(Math.ceil((deltas * 20) / 45))
      .slice(0, deltas * 20);
    texts.set(deltas, text);
  }
  return text;
}

const mock = await MockAnthropic.start({
  deltaChars: 20,
  plan: (request) => ({
    type: 'message',
    content: [{ type: 'text', text: textFor(Number(request.headers['x-bench-deltas'] ?? defaultDeltas)) }],
    eventDelayMs: Number(request.headers['x-bench-pace-ms'] ?? 0),
  }),
});
process.stdout.write(`LISTENING ${mock.url}\n`);
process.on('SIGTERM', () => void mock.stop().then(() => process.exit(0)));
