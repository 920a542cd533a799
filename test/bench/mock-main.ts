/**
 * Runs the mock Anthropic API as its own process for benchmarks, answering every streamed request with the
 * same reply of `--deltas` text deltas, paced `x-bench-pace-ms` apart (default: unpaced). Prints
 * `LISTENING <url>` when ready.
 */
import { MockAnthropic } from '../helpers/mock-anthropic.js';

const deltas = Number(process.argv[2] ?? 50);
const text = 'The quick brown fox jumps over the lazy dog. '
  .repeat(Math.ceil((deltas * 20) / 45))
  .slice(0, deltas * 20);
const mock = await MockAnthropic.start({
  deltaChars: 20,
  plan: (request) => ({
    type: 'message',
    content: [{ type: 'text', text }],
    eventDelayMs: Number(request.headers['x-bench-pace-ms'] ?? 0),
  }),
});
process.stdout.write(`LISTENING ${mock.url}\n`);
process.on('SIGTERM', () => void mock.stop().then(() => process.exit(0)));
