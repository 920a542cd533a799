/**
 * The protocol messages Glassbox builds or reads, named as in the PostgreSQL docs, 55.7 "Message Formats".
 * Builders return whole messages ready to write; parsers take a message body and throw ProtocolError on
 * malformed input.
 */
import { ProtocolError, Reader, Writer } from './wire.js';

/** Codes of the untyped first message of a connection. */
export const STARTUP_CODE = {
  /** Protocol 3.0 StartupMessage. */
  v30: 196608,
  /** Protocol 3.2 StartupMessage (PostgreSQL 18). */
  v32: 196610,
  SSLRequest: 80877103,
  GSSENCRequest: 80877104,
  CancelRequest: 80877102,
} as const;

/** Type bytes of frontend (client → server) messages. */
export const FRONTEND = {
  Query: 0x51, // Q
  Parse: 0x50, // P
  Bind: 0x42, // B
  Describe: 0x44, // D
  Execute: 0x45, // E
  Close: 0x43, // C
  Sync: 0x53, // S
  Flush: 0x48, // H
  Terminate: 0x58, // X
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  FunctionCall: 0x46, // F
  /** PasswordMessage, SASLInitialResponse, SASLResponse, GSSResponse: told apart by context. */
  Password: 0x70, // p
} as const;

/** Type bytes of backend (server → client) messages. */
export const BACKEND = {
  Authentication: 0x52, // R
  ParameterStatus: 0x53, // S
  BackendKeyData: 0x4b, // K
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54, // T
  DataRow: 0x44, // D
  CommandComplete: 0x43, // C
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  NoticeResponse: 0x4e, // N
  ParseComplete: 0x31, // 1
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  NoData: 0x6e, // n
  ParameterDescription: 0x74, // t
  PortalSuspended: 0x73, // s
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  CopyBothResponse: 0x57, // W
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  NotificationResponse: 0x41, // A
  FunctionCallResponse: 0x56, // V
  NegotiateProtocolVersion: 0x76, // v
} as const;

const KNOWN_FRONTEND = new Set<number>(Object.values(FRONTEND));

/** True for a type byte a client may send after startup. */
export function isFrontendType(type: number): boolean {
  return KNOWN_FRONTEND.has(type);
}

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

/** NegotiateProtocolVersion: the newest minor version supported and the protocol options not recognised. */
export function negotiateProtocolVersion(newestMinor: number, unrecognised: string[]): Buffer {
  const writer = new Writer().int32(newestMinor).int32(unrecognised.length);
  for (const option of unrecognised) writer.cstring(option);
  return writer.frame('v');
}

// ---------------------------------------------------------------- authentication

/** An Authentication* message from a server (or the proxy), by its Int32 code. */
export type AuthenticationRequest =
  | { kind: 'Ok' }
  | { kind: 'CleartextPassword' }
  | { kind: 'MD5Password'; salt: Buffer }
  | { kind: 'SASL'; mechanisms: string[] }
  | { kind: 'SASLContinue'; data: Buffer }
  | { kind: 'SASLFinal'; data: Buffer }
  | { kind: 'Unsupported'; code: number };

/** Parses an Authentication message body. */
export function parseAuthentication(body: Buffer): AuthenticationRequest {
  const reader = new Reader(body);
  const code = reader.int32();
  switch (code) {
    case 0:
      return { kind: 'Ok' };
    case 3:
      return { kind: 'CleartextPassword' };
    case 5:
      return { kind: 'MD5Password', salt: reader.bytes(4) };
    case 10: {
      const mechanisms: string[] = [];
      for (let name = reader.cstring(); name !== ''; name = reader.cstring()) mechanisms.push(name);
      return { kind: 'SASL', mechanisms };
    }
    case 11:
      return { kind: 'SASLContinue', data: reader.rest() };
    case 12:
      return { kind: 'SASLFinal', data: reader.rest() };
    default:
      return { kind: 'Unsupported', code };
  }
}

/** AuthenticationOk: authentication succeeded. (PostgreSQL docs, 55.7 "Message Formats") */
export function authenticationOk(): Buffer {
  return new Writer().int32(0).frame('R');
}

/** AuthenticationSASL: the SASL mechanisms the client may choose from. (PostgreSQL docs, 55.7 "Message Formats") */
export function authenticationSasl(mechanisms: string[]): Buffer {
  const writer = new Writer().int32(10);
  for (const mechanism of mechanisms) writer.cstring(mechanism);
  return writer.int8(0).frame('R');
}

/** AuthenticationSASLContinue carrying a SCRAM server-first-message. (PostgreSQL docs, 55.7 "Message Formats") */
export function authenticationSaslContinue(data: Buffer): Buffer {
  return new Writer().int32(11).bytes(data).frame('R');
}

/** AuthenticationSASLFinal carrying a SCRAM server-final-message. (PostgreSQL docs, 55.7 "Message Formats") */
export function authenticationSaslFinal(data: Buffer): Buffer {
  return new Writer().int32(12).bytes(data).frame('R');
}

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

// ---------------------------------------------------------------- session messages the proxy sends itself

/** ParameterStatus: a run-time parameter the client should know (server_version, client_encoding, …). (PostgreSQL docs, 55.7 "Message Formats") */
export function parameterStatus(name: string, value: string): Buffer {
  return new Writer().cstring(name).cstring(value).frame('S');
}

/** BackendKeyData: the process id and secret key a client quotes in a CancelRequest. (PostgreSQL docs, 55.7 "Message Formats") */
export function backendKeyData(processId: number, secretKey: number): Buffer {
  return new Writer().int32(processId).int32(secretKey).frame('K');
}

/** Transaction status of ReadyForQuery: idle, in a transaction block, in a failed transaction block. */
export type TransactionStatus = 'I' | 'T' | 'E';

/** ReadyForQuery with the transaction status. (PostgreSQL docs, 55.7 "Message Formats") */
export function readyForQuery(status: TransactionStatus): Buffer {
  return new Writer().int8(status.charCodeAt(0)).frame('Z');
}

/** Terminate. */
export function terminate(): Buffer {
  return new Writer().frame('X');
}

// ---------------------------------------------------------------- errors and notices

/**
 * Fields of an ErrorResponse or NoticeResponse (PostgreSQL docs, 55.8 "Error and Notice Message Fields"),
 * by their one-letter codes: S severity, V non-localised severity, C SQLSTATE, M message, D detail, H hint,
 * P position, W where, …
 */
export type ErrorFields = Record<string, string>;

/** Parses the fields of an ErrorResponse or NoticeResponse. */
export function parseErrorFields(body: Buffer): ErrorFields {
  const reader = new Reader(body);
  const fields: ErrorFields = {};
  for (let code = reader.byte(); code !== 0; code = reader.byte())
    fields[String.fromCharCode(code)] = reader.cstring();
  return fields;
}

/** An ErrorResponse (severity ERROR unless given, e.g. FATAL) with SQLSTATE `code`. */
export function errorResponse(
  code: string,
  message: string,
  extra: ErrorFields & { S?: string } = {},
): Buffer {
  const severity = extra.S ?? 'ERROR';
  const fields: ErrorFields = { S: severity, V: severity, C: code, M: message, ...extra };
  const writer = new Writer();
  for (const [key, value] of Object.entries(fields)) writer.int8(key.charCodeAt(0)).cstring(value);
  return writer.int8(0).frame('E');
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

/** One column of a RowDescription. */
export interface FieldDescription {
  name: string;
  tableOid: number;
  columnNumber: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  format: number;
}

/** Parses a RowDescription: one FieldDescription per result column. (PostgreSQL docs, 55.7 "Message Formats") */
export function parseRowDescription(body: Buffer): FieldDescription[] {
  const reader = new Reader(body);
  const count = reader.int16();
  const fields: FieldDescription[] = [];
  for (let i = 0; i < count; i++) {
    fields.push({
      name: reader.cstring(),
      tableOid: reader.uint32(),
      columnNumber: reader.int16(),
      typeOid: reader.uint32(),
      typeSize: reader.int16(),
      typeModifier: reader.int32(),
      format: reader.int16(),
    });
  }
  return fields;
}

/** The column values of a DataRow (null = SQL NULL). */
export function parseDataRow(body: Buffer): Array<Buffer | null> {
  const reader = new Reader(body);
  const count = reader.int16();
  const values: Array<Buffer | null> = [];
  for (let i = 0; i < count; i++) {
    const length = reader.int32();
    values.push(length === -1 ? null : reader.bytes(length));
  }
  return values;
}

/** The command tag of a CommandComplete, e.g. "SELECT 5", "INSERT 0 1". */
export function parseCommandComplete(body: Buffer): string {
  return new Reader(body).cstring();
}

/** Rows affected or returned according to a command tag (its last number), or null when it has none. */
export function rowsFromTag(tag: string): number | null {
  const match = /\s(\d+)$/.exec(tag);
  return match ? Number(match[1]) : null;
}

/** ParameterDescription: the type OIDs of a prepared statement's parameters. */
export function parseParameterDescription(body: Buffer): number[] {
  const reader = new Reader(body);
  const count = reader.int16();
  const types: number[] = [];
  for (let i = 0; i < count; i++) types.push(reader.uint32());
  return types;
}

/** ParameterStatus: a run-time parameter's name and value. */
export function parseParameterStatus(body: Buffer): { name: string; value: string } {
  const reader = new Reader(body);
  return { name: reader.cstring(), value: reader.cstring() };
}

/** BackendKeyData: process id and secret key (4 bytes in protocol 3.0, up to 256 in 3.2). */
export function parseBackendKeyData(body: Buffer): { processId: number; secretKey: Buffer } {
  const reader = new Reader(body);
  return { processId: reader.int32(), secretKey: Buffer.from(reader.rest()) };
}

/** NotificationResponse: notifying backend's process id, channel and payload. */
export function parseNotification(body: Buffer): { processId: number; channel: string; payload: string } {
  const reader = new Reader(body);
  return { processId: reader.int32(), channel: reader.cstring(), payload: reader.cstring() };
}

/** The transaction status of a ReadyForQuery. */
export function parseReadyForQuery(body: Buffer): TransactionStatus {
  const status = String.fromCharCode(new Reader(body).byte());
  if (status !== 'I' && status !== 'T' && status !== 'E')
    throw new ProtocolError(`invalid transaction status '${status}'`);
  return status;
}

/** CopyInResponse / CopyOutResponse: overall format (0 text, 1 binary) and column count. */
export function parseCopyResponse(body: Buffer): { format: number; columns: number } {
  const reader = new Reader(body);
  return { format: reader.int8(), columns: reader.int16() };
}
