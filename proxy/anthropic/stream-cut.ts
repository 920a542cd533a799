/**
 * How the proxy ends a reply the upstream cut off (the connection reset or closed before the reply's end).
 *
 * Relaying the cut as it is — the client's connection reset — makes SDKs report a network fault
 * (`APIConnectionError`, "terminated") and retry blindly. The Anthropic API's own way to fail a stream that
 * has begun is an `error` event (Anthropic API reference, "Streaming Messages", Error events), which SDKs
 * raise as an `APIError` with the error's type. So a cut event stream ends with one, after the bytes that
 * were recorded; a reply whose head has not gone out yet is answered with an Anthropic-shaped 502 instead.
 *
 * The bytes already on the wire may stop inside an event. Event-stream fields accumulate until a blank
 * line (WHATWG HTML, "9.2.6 Interpreting an event stream"), and a later `event:` line replaces the type, so
 * the error is written to finish that event: the unfinished line is ended and `event: error` turns what was
 * in progress into the error. Only when the cut came inside a `data:` line does the error's data carry that
 * line's start before the JSON; SDKs still raise an API error, with the text as its message.
 */
import type { ServerResponse } from 'node:http';
import { glassboxErrorBody } from './errors.js';
import type { SseParser } from './sse.js';

/** A reply the upstream cut off, its outcome already sealed. */
export interface CutReply {
  res: ServerResponse;
  /** The parser that saw every byte relayed or held, when the reply is an event stream read as it is sent. */
  parser: SseParser | undefined;
  /** Reply bytes held back from the client, all of them covered by the seal; emptied here. */
  outbox: Buffer[];
  /** Writes the recorded response head unless it has gone out. */
  sendHead: () => void;
}

/**
 * Ends a reply the upstream cut off (see the top of this file): an event stream with what was held and an
 * `error` event; a reply whose head has not gone out with a 502; anything else (a compressed stream already
 * under way) with a reset. `message` says what happened; it is sent as an `api_error` starting "Glassbox: ".
 */
export function endCutReply(reply: CutReply, message: string): void {
  const { res, parser, outbox } = reply;
  const body = glassboxErrorBody('api_error', message);
  if (parser) {
    reply.sendHead();
    for (const chunk of outbox.splice(0)) res.write(chunk);
    res.end(`${parser.midLine ? '\n' : ''}event: error\ndata: ${body}\n\n`);
  } else if (!res.headersSent) {
    outbox.length = 0;
    res.writeHead(502, { 'content-type': 'application/json', 'x-glassbox-error': 'upstream_failed' });
    res.end(body);
  } else {
    res.destroy();
  }
}
