import { connect, type Socket } from 'node:net';
import { parseAuthentication, parseErrorFields } from '../../proxy/postgres/backend-messages.js';
import { type Frame, Framer } from '../../proxy/postgres/framer.js';
import { saslInitialResponse, saslResponse, startupMessage } from '../../proxy/postgres/frontend-messages.js';
import { BACKEND } from '../../proxy/postgres/messages.js';
import { ScramClient } from '../../proxy/postgres/scram-client.js';

/**
 * A deliberately low-level PostgreSQL client for fault injection: it performs start-up and SCRAM itself,
 * then lets a test write arbitrary bytes and read whatever comes back.
 */
export class RawPgClient {
  private readonly framer = new Framer();
  private readonly frames: Frame[] = [];
  private buffer = Buffer.alloc(0);
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      try {
        this.frames.push(
          ...this.framer
            .push(chunk)
            .map((f) => ({ ...f, raw: Buffer.from(f.raw), body: Buffer.from(f.body) })),
        );
      } catch {
        // single-byte answers (SSLRequest) are read from `buffer`
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<RawPgClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawPgClient(socket);
  }

  /** Connects and authenticates as `user` with `password`, up to ReadyForQuery. */
  static async login(port: number, user: string, password: string, database: string): Promise<RawPgClient> {
    const client = await RawPgClient.open(port);
    client.socket.write(startupMessage({ user, database }));
    const scram = new ScramClient(password);
    for (;;) {
      const frame = await client.next();
      if (frame.type === BACKEND.ErrorResponse) throw new Error(parseErrorFields(frame.body).M);
      if (frame.type === BACKEND.ReadyForQuery) return client;
      if (frame.type !== BACKEND.Authentication) continue;
      const auth = parseAuthentication(frame.body);
      if (auth.kind === 'SASL')
        client.socket.write(saslInitialResponse(scram.chooseMechanism(auth.mechanisms), scram.clientFirst()));
      if (auth.kind === 'SASLContinue') client.socket.write(saslResponse(scram.clientFinal(auth.data)));
      if (auth.kind === 'SASLFinal') scram.verifyServerFinal(auth.data);
    }
  }

  /** The next whole message from the server. */
  async next(timeoutMs = 5_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('no message in time');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.frames.shift()!;
  }

  /** Reads messages until an ErrorResponse and returns its fields. */
  async error(timeoutMs = 5_000): Promise<Record<string, string>> {
    for (;;) {
      const frame = await this.next(timeoutMs);
      if (frame.type === BACKEND.ErrorResponse) return parseErrorFields(frame.body);
    }
  }

  /** Raw bytes received so far (for single-byte answers). */
  received(): Buffer {
    return this.buffer;
  }

  async waitClosed(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    if (!this.closed) throw new Error('connection still open');
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Opens a connection, writes each step, waiting for some answer (or the close) after it, and returns what
 * came back by the time the proxy or server closed the connection: the single-byte answers (to SSLRequest,
 * GSSENCRequest) and the fields of the ErrorResponse after them.
 */
export async function startupExchange(
  port: number,
  steps: Buffer[],
  timeoutMs = 10_000,
): Promise<{ bytes: string; error?: Record<string, string> }> {
  const client = await RawPgClient.open(port);
  const until = async (done: () => boolean, what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  for (const step of steps) {
    const before = client.received().length;
    client.socket.write(step);
    await until(() => client.received().length > before || client.closed, 'answer');
  }
  await until(() => client.closed, 'close');
  const received = client.received();
  const at = received.indexOf('E');
  const bytes = received.subarray(0, at === -1 ? received.length : at).toString('latin1');
  return at === -1 ? { bytes } : { bytes, error: parseErrorFields(received.subarray(at + 5)) };
}
