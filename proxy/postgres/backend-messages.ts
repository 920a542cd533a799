/**
 * Backend messages (server → client) Glassbox builds or reads, named as in the PostgreSQL docs, 55.7
 * "Message Formats": authentication requests, the session messages the proxy sends itself, errors and
 * notices, and the replies to the query protocol the recorder reads. Builders return whole messages ready to
 * write; parsers take a message body and throw ProtocolError on malformed input. Type bytes are in messages.ts.
 */
import { ProtocolError, Reader, Writer } from './wire.js';

// ---------------------------------------------------------------- startup phase

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
  return fieldsMessage('E', code, message, extra.S ?? 'ERROR', extra);
}

/**
 * A NoticeResponse (severity NOTICE unless given) with SQLSTATE `code`: the fields of an ErrorResponse under
 * type 'N'; a server may send one at any time (PostgreSQL docs, 55.2.7 "Asynchronous Operations").
 */
export function noticeResponse(code: string, message: string, severity = 'NOTICE'): Buffer {
  return fieldsMessage('N', code, message, severity, {});
}

function fieldsMessage(
  type: 'E' | 'N',
  code: string,
  message: string,
  severity: string,
  extra: ErrorFields,
): Buffer {
  const fields: ErrorFields = { S: severity, V: severity, C: code, M: message, ...extra };
  const writer = new Writer();
  for (const [key, value] of Object.entries(fields)) writer.int8(key.charCodeAt(0)).cstring(value);
  return writer.int8(0).frame(type);
}

// ---------------------------------------------------------------- query protocol replies (read by the recorder)

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
