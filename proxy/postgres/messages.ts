/**
 * Message codes of the PostgreSQL protocol, named as in the PostgreSQL docs, 55.7 "Message Formats": the
 * untyped startup codes and the type bytes of frontend and backend messages. The messages themselves are built
 * and read in frontend-messages.ts (client → server) and backend-messages.ts (server → client).
 */

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
