import { redactSqlPasswords } from '../policy/secrets-in-content.js';
import { Execution, type RecordedError } from './execution.js';
import type { Frame } from './framer.js';
import {
  parseBind,
  parseExecute,
  parseFunctionCall,
  parseParse,
  parseQuery,
  parseTarget,
} from './frontend-messages.js';
import { FRONTEND } from './messages.js';
import { portalExecution } from './tracker-output.js';

/**
 * A frontend message the server ignores while it skips to the next Sync after `error` (PostgreSQL docs,
 * 55.2.3 "Extended Query": after an ErrorResponse the backend discards messages until Sync). It is still
 * parsed, so a malformed one is refused like any other (throws ProtocolError). A statement in it — a Query,
 * Execute or FunctionCall — comes back as an execution already failed as "not run", to record with its
 * outcome; a Parse, Bind, Describe or Close changes nothing and gives undefined.
 * @param portalOf the execution a named portal was bound for, if known
 * @throws ProtocolError for a malformed message
 */
export function notRunWhileSkipping(
  frame: Frame,
  error: RecordedError,
  portalOf: (name: string) => Execution | undefined,
): Execution | undefined {
  let execution: Execution;
  switch (frame.type) {
    case FRONTEND.Query:
      execution = new Execution(
        { protocol: 'simple', sql: redactSqlPasswords(parseQuery(frame.body)) },
        null,
      );
      break;
    case FRONTEND.Execute: {
      const { portal, maxRows } = parseExecute(frame.body);
      execution = portalExecution(portalOf(portal), portal, maxRows);
      break;
    }
    case FRONTEND.FunctionCall:
      execution = new Execution(
        { protocol: 'function', sql: null, function_oid: parseFunctionCall(frame.body).functionOid },
        null,
      );
      break;
    case FRONTEND.Parse:
      parseParse(frame.body);
      return undefined;
    case FRONTEND.Bind:
      parseBind(frame.body);
      return undefined;
    case FRONTEND.Describe:
    case FRONTEND.Close:
      parseTarget(frame.body);
      return undefined;
    default:
      return undefined;
  }
  execution.error = { ...error, message: `not run: ${error.message}` };
  return execution;
}
