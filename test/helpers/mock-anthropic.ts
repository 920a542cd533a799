/**
 * A local stand-in for the Anthropic Messages API that answers in its real wire format: JSON messages,
 * and streams of `message_start`, `content_block_start`, `ping`, `content_block_delta` (text_delta,
 * thinking_delta, signature_delta, input_json_delta), `content_block_stop`, `message_delta`, `message_stop`,
 * and mid-stream `error` events. It is the only replaced part in the test suite.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

/**
 * A content block the mock will send, whole (JSON) or as deltas (stream). `deltas`, when given, are the
 * pieces it streams instead of cutting the text (or the tool input's JSON) every `deltaChars` characters:
 * they must join to the text, or to JSON that parses to `input`.
 */
export type MockBlock =
  | { type: 'text'; text: string; deltas?: string[] }
  | { type: 'thinking'; thinking: string; signature: string; deltas?: string[] }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown; deltas?: string[] };

/** What the mock answers to one request. */
export type MockPlan =
  | {
      type: 'message';
      content: MockBlock[];
      stop_reason?: string;
      model?: string;
      gzip?: boolean;
      /** Overrides the mock's eventDelayMs for this reply. */
      eventDelayMs?: number;
      /** Overrides the mock's deltaChars for this reply. */
      deltaChars?: number;
      /** Streamed: the reply's last delta waits until this settles (to look at a reply while it streams). */
      holdLastDelta?: Promise<unknown>;
    }
  | { type: 'status'; status: number; errorType: string; message: string }
  /** Streams the content, then an `event: error` instead of message_delta/message_stop. */
  | { type: 'midstream_error'; content: MockBlock[]; errorType: string; message: string }
  /** A 200 event stream of lines that are not valid JSON events, then a normal end. */
  | { type: 'garbage' }
  /** Streams message_start, the first block's start and `deltas` deltas, then stalls until the client leaves. */
  | { type: 'stall'; text: string; deltas: number }
  | { type: 'json'; status: number; body: unknown }
  /**
   * Streamed: message_start, a text block's start and `deltas` deltas, then `tail` (raw bytes, e.g. half an
   * event), then the connection is reset. Not streamed: the head and half of a JSON message, then the reset.
   */
  | { type: 'cut'; text: string; deltas: number; tail?: string }
  /** Reads the request and never answers, not even a response head, until the client leaves. */
  | { type: 'silent' };

/** A request the mock received. */
export interface MockRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  raw: string;
}

/** Options of the mock. */
export interface MockOptions {
  /** Decides each reply; the default behaves like the API does for Claude Code's Bash tool loop. */
  plan?: (request: MockRequest) => MockPlan;
  /** Delay between streamed events in ms (0 = write them all at once). */
  eventDelayMs?: number;
  /** Split text into deltas of this many characters. */
  deltaChars?: number;
  /** Port to listen on (default: one the OS picks). */
  port?: number;
}

const USAGE = {
  input_tokens: 25,
  output_tokens: 1,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};

/** The running mock. Every test that starts one stops it. */
export class MockAnthropic {
  readonly requests: MockRequest[] = [];
  /** Requests whose client disconnected while the mock was still streaming. */
  clientDisconnects = 0;
  private readonly sockets = new Set<Socket>();
  private counter = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: MockOptions,
  ) {}

  static async start(options: MockOptions = {}): Promise<MockAnthropic> {
    const server = createServer();
    const mock = new MockAnthropic(server, options);
    server.on('request', (req, res) => mock.handle(req, res));
    server.on('connection', (socket) => {
      mock.sockets.add(socket);
      socket.on('close', () => mock.sockets.delete(socket));
    });
    server.listen(options.port ?? 0, '127.0.0.1');
    await once(server, 'listening');
    return mock;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Replaces the reply plan for the following requests. */
  setPlan(plan: (request: MockRequest) => MockPlan): void {
    this.options.plan = plan;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = null;
      }
      const request: MockRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        raw,
      };
      this.requests.push(request);
      const path = request.url.split('?')[0]!;
      if (request.method === 'POST' && path.endsWith('/v1/messages')) {
        void this.reply(request, res).catch(() => res.destroy());
        return;
      }
      if (path.endsWith('/v1/messages/count_tokens')) return json(res, 200, { input_tokens: 42 });
      if (path.endsWith('/v1/models')) {
        return json(res, 200, {
          data: [{ type: 'model', id: 'claude-sonnet-4-5-20250929' }],
          has_more: false,
        });
      }
      json(res, 404, {
        type: 'error',
        error: { type: 'not_found_error', message: `mock: no route ${path}` },
      });
    });
  }

  private async reply(request: MockRequest, res: ServerResponse): Promise<void> {
    const plan = (this.options.plan ?? claudeCodePlan)(request);
    const body = (request.body ?? {}) as { stream?: boolean; model?: string };
    const model = ('model' in plan && plan.model) || body.model || 'claude-sonnet-4-5-20250929';
    const id = `msg_mock_${++this.counter}`;
    switch (plan.type) {
      case 'status':
        return json(res, plan.status, {
          type: 'error',
          error: { type: plan.errorType, message: plan.message },
        });
      case 'json':
        return json(res, plan.status, plan.body);
      case 'message':
        if (!body.stream) {
          const message = {
            id,
            type: 'message',
            role: 'assistant',
            model,
            content: plan.content.map((block) => {
              if (!('deltas' in block)) return block;
              const { deltas: _deltas, ...whole } = block;
              return whole;
            }),
            stop_reason: plan.stop_reason ?? 'end_turn',
            stop_sequence: null,
            usage: { ...USAGE, output_tokens: 12 },
          };
          if (plan.gzip) {
            res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
            return void res.end(gzipSync(JSON.stringify(message)));
          }
          return json(res, 200, message);
        }
        return this.stream(
          res,
          id,
          model,
          plan.content,
          { stop: plan.stop_reason ?? 'end_turn', hold: plan.holdLastDelta },
          plan.eventDelayMs,
          plan.deltaChars,
        );
      case 'midstream_error':
        return this.stream(res, id, model, plan.content, {
          error: { type: plan.errorType, message: plan.message },
        });
      case 'garbage': {
        startStream(res);
        res.write('event: message_start\ndata: {this is not json\n\n');
        res.write('data: \u0000\u0001 binary-ish noise\n\n');
        res.write(
          ':comment line\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":7}\n\n',
        );
        return void res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
      }
      case 'cut': {
        if (!body.stream) {
          const text = JSON.stringify({ id, type: 'message', role: 'assistant', model, content: [] });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
          res.write(text.slice(0, text.length >> 1));
          return void setTimeout(() => res.socket?.resetAndDestroy(), 20);
        }
        startStream(res);
        sse(res, 'message_start', messageStart(id, model));
        sse(res, 'content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        });
        for (let i = 0; i < plan.deltas; i++) {
          sse(res, 'content_block_delta', {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'text_delta', text: plan.text },
          });
        }
        if (plan.tail) res.write(plan.tail);
        // Written bytes leave first; then the connection is reset, as an upstream that fails does.
        return void setTimeout(() => res.socket?.resetAndDestroy(), 20);
      }
      case 'stall': {
        startStream(res);
        res.on('close', () => {
          if (!res.writableFinished) this.clientDisconnects++;
        });
        sse(res, 'message_start', messageStart(id, model));
        sse(res, 'content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        });
        for (let i = 0; i < plan.deltas; i++) {
          sse(res, 'content_block_delta', {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'text_delta', text: plan.text },
          });
          await this.pause();
        }
        return; // never ends: the test kills or disconnects
      }
      case 'silent':
        return; // the test kills or disconnects
    }
  }

  private async stream(
    res: ServerResponse,
    id: string,
    model: string,
    content: MockBlock[],
    end: { stop?: string; error?: { type: string; message: string }; hold?: Promise<unknown> },
    delayMs = this.options.eventDelayMs ?? 0,
    deltaChars = this.options.deltaChars ?? 8,
  ): Promise<void> {
    const pause = () =>
      delayMs > 0 ? new Promise<void>((resolve) => setTimeout(resolve, delayMs)) : Promise.resolve();
    startStream(res);
    sse(res, 'message_start', messageStart(id, model));
    sse(res, 'ping', { type: 'ping' });
    for (const [index, block] of content.entries()) {
      await pause();
      sse(res, 'content_block_start', {
        type: 'content_block_start',
        index,
        content_block: blockStart(block),
      });
      const deltas = [...this.deltas(block, deltaChars)];
      for (const [i, delta] of deltas.entries()) {
        await pause();
        if (index === content.length - 1 && i === deltas.length - 1) await end.hold;
        // A reader that stops reading stops the stream, as a real server's would (backpressure).
        if (!sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta }))
          await drained(res);
      }
      sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    }
    if (end.error) {
      sse(res, 'error', { type: 'error', error: end.error });
      return void res.end();
    }
    sse(res, 'message_delta', {
      type: 'message_delta',
      delta: { stop_reason: end.stop, stop_sequence: null },
      usage: { output_tokens: 12 },
    });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  }

  private *deltas(block: MockBlock, size: number): Generator<Record<string, unknown>> {
    const pieces = (text: string) => text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
    switch (block.type) {
      case 'text':
        for (const text of block.deltas ?? pieces(block.text)) yield { type: 'text_delta', text };
        return;
      case 'thinking':
        for (const thinking of block.deltas ?? pieces(block.thinking))
          yield { type: 'thinking_delta', thinking };
        yield { type: 'signature_delta', signature: block.signature };
        return;
      case 'tool_use':
        for (const partial_json of block.deltas ?? pieces(JSON.stringify(block.input)))
          yield { type: 'input_json_delta', partial_json };
        return;
      case 'redacted_thinking':
        return;
    }
  }

  private pause(): Promise<void> {
    const ms = this.options.eventDelayMs ?? 0;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }
}

/** Like the API in Claude Code's loop: a Bash tool call first, plain text once a tool_result came back. */
export function claudeCodePlan(request: MockRequest): MockPlan {
  const body = (request.body ?? {}) as {
    messages?: Array<{ role: string; content: unknown }>;
    tools?: Array<{ name: string }>;
  };
  const lastUser = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  const hasToolResult =
    Array.isArray(lastUser?.content) &&
    lastUser.content.some((b) => (b as { type?: string }).type === 'tool_result');
  if (hasToolResult) return { type: 'message', content: [{ type: 'text', text: 'All done.' }] };
  if (body.tools?.some((tool) => tool.name === 'Bash')) {
    return {
      type: 'message',
      stop_reason: 'tool_use',
      content: [
        { type: 'text', text: 'I will run it.' },
        {
          type: 'tool_use',
          id: 'toolu_mock_1',
          name: 'Bash',
          input: { command: 'echo glassbox-hello', description: 'Say hello' },
        },
      ],
    };
  }
  return { type: 'message', content: [{ type: 'text', text: 'Hello from the mock.' }] };
}

function blockStart(block: MockBlock): Record<string, unknown> {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: '' };
    case 'thinking':
      return { type: 'thinking', thinking: '', signature: '' };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: block.data };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: {} };
  }
}

function messageStart(id: string, model: string) {
  return {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: USAGE,
    },
  };
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': 'req_mock',
  });
  res.flushHeaders();
}

/** Resolves when `res` can take more (or is closed). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes one event; false when the response's buffer is full (wait for 'drain'). */
function sse(res: ServerResponse, event: string, data: unknown): boolean {
  return res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': 'req_mock',
  });
  res.end(text);
}
