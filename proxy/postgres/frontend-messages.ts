/**
 * Frontend messages (client → server) Glassbox builds or reads, named as in the PostgreSQL docs, 55.7
 * "Message Formats": the untyped startup packets, the authentication responses, Terminate, and the query
 * protocol messages the recorder reads. Builders return whole messages ready to write; parsers take a message
 * body and throw ProtocolError on malformed input. Type bytes are in messages.ts.
 */
import { STARTUP_CODE } from './messages.js';
import { ProtocolError, Reader, Writer } from './wire.js';

// ---------------------------------------------------------------- startup phase

/** Parameters of a StartupMessage (user, database, application_name, options, …). */
export type StartupParameters = Record<string, string>;

/** Parses a StartupMessage body after its protocol code: name/value string pairs ending in an empty name. */
export function parseStartupParameters(body: Buffer): StartupParameters {
  const reader = new Reader(body);
  const params: StartupParameters = {};
  for (;;) {
    const name = reader.cstring();
    if (name === '') break;
    params[name] = reader.cstring();
  }
  return params;
}

/** StartupMessage for protocol 3.0 with the given parameters. */
export function startupMessage(params: StartupParameters): Buffer {
  const writer = new Writer().int32(STARTUP_CODE.v30);
  for (const [name, value] of Object.entries(params)) writer.cstring(name).cstring(value);
  return writer.int8(0).untyped();
}

/** SSLRequest. */
export function sslRequest(): Buffer {
  return new Writer().int32(STARTUP_CODE.SSLRequest).untyped();
}

/** CancelRequest for a backend's process id and secret key. */
export function cancelRequest(processId: number, secretKey: Buffer): Buffer {
  return new Writer().int32(STARTUP_CODE.CancelRequest).int32(processId).bytes(secretKey).untyped();
}

// ---------------------------------------------------------------- authentication responses

/** SASLInitialResponse: the chosen mechanism and the client-first-message. */
export function saslInitialResponse(mechanism: string, data: Buffer): Buffer {
  return new Writer().cstring(mechanism).int32(data.length).bytes(data).frame('p');
}

/** Parses a SASLInitialResponse body. A length of -1 means no initial response. */
export function parseSaslInitialResponse(body: Buffer): { mechanism: string; data: Buffer } {
  const reader = new Reader(body);
  const mechanism = reader.cstring();
  const length = reader.int32();
  return { mechanism, data: length === -1 ? Buffer.alloc(0) : reader.bytes(length) };
}

/** SASLResponse carrying a client-final-message. */
export function saslResponse(data: Buffer): Buffer {
  return new Writer().bytes(data).frame('p');
}

/** PasswordMessage (cleartext or md5-hashed password). */
export function passwordMessage(password: string): Buffer {
  return new Writer().cstring(password).frame('p');
}

// ---------------------------------------------------------------- end of session

/** Terminate. */
export function terminate(): Buffer {
  return new Writer().frame('X');
}

// ---------------------------------------------------------------- query protocol (read by the recorder)

/** Parse: prepared statement name ('' = unnamed), query text, parameter type OIDs. */
export function parseParse(body: Buffer): { name: string; query: string; paramTypes: number[] } {
  const reader = new Reader(body);
  const name = reader.cstring();
  const query = reader.cstring();
  const count = reader.int16();
  const paramTypes: number[] = [];
  for (let i = 0; i < count; i++) paramTypes.push(reader.uint32());
  return { name, query, paramTypes };
}

/** Bind: portal, statement, per-parameter formats (0 text, 1 binary) and values (null = SQL NULL). */
export interface BindMessage {
  portal: string;
  statement: string;
  paramFormats: number[];
  values: Array<Buffer | null>;
  resultFormats: number[];
}

/** Parses a Bind message body. (PostgreSQL docs, 55.7 "Message Formats") */
export function parseBind(body: Buffer): BindMessage {
  const reader = new Reader(body);
  const portal = reader.cstring();
  const statement = reader.cstring();
  const formatCount = reader.int16();
  const paramFormats: number[] = [];
  for (let i = 0; i < formatCount; i++) paramFormats.push(reader.int16());
  const valueCount = reader.int16();
  const values: Array<Buffer | null> = [];
  for (let i = 0; i < valueCount; i++) {
    const length = reader.int32();
    values.push(length === -1 ? null : reader.bytes(length));
  }
  const resultCount = reader.int16();
  const resultFormats: number[] = [];
  for (let i = 0; i < resultCount; i++) resultFormats.push(reader.int16());
  return { portal, statement, paramFormats, values, resultFormats };
}

/** Execute: portal name and row limit (0 = no limit). */
export function parseExecute(body: Buffer): { portal: string; maxRows: number } {
  const reader = new Reader(body);
  return { portal: reader.cstring(), maxRows: reader.int32() };
}

/** Describe or Close: 'S' statement or 'P' portal, and its name. */
export function parseTarget(body: Buffer): { target: 'S' | 'P'; name: string } {
  const reader = new Reader(body);
  const target = String.fromCharCode(reader.byte());
  if (target !== 'S' && target !== 'P') throw new ProtocolError(`invalid Describe/Close target '${target}'`);
  return { target, name: reader.cstring() };
}

/** The query string of a Query message. */
export function parseQuery(body: Buffer): string {
  return new Reader(body).cstring();
}

/** FunctionCall: the function's OID and its argument count (arguments themselves are not recorded). */
export function parseFunctionCall(body: Buffer): { functionOid: number; args: number } {
  const reader = new Reader(body);
  const functionOid = reader.uint32();
  const formats = reader.int16();
  for (let i = 0; i < formats; i++) reader.int16();
  return { functionOid, args: reader.int16() };
}
