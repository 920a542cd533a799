import { describe, expect, it } from 'vitest';
import { errorResponse, parseErrorFields } from '../../proxy/postgres/backend-messages.js';
import { Framer } from '../../proxy/postgres/framer.js';
import { parseExecute, parseQuery } from '../../proxy/postgres/frontend-messages.js';
import { blockedError, refusedReply, standIn } from '../../proxy/postgres/guard-refusals.js';
import { Writer } from '../../proxy/postgres/wire.js';

const frame = (bytes: Buffer) => new Framer().push(bytes)[0]!;
const rule = { id: 'pg.drop', message: 'Dropping tables is not allowed', builtin: true };

describe('guard refusals', () => {
  it('stands in for a Query with one that fails parse analysis, and for an Execute with a missing portal', () => {
    const query = frame(standIn(frame(new Writer().cstring('DROP TABLE t').frame('Q'))));
    expect(String.fromCharCode(query.type)).toBe('Q');
    expect(parseQuery(query.body)).toBe("SELECT 'Glassbox refused this statement'::pg_catalog.int4");
    const execute = frame(standIn(frame(new Writer().cstring('p1').int32(10).frame('E'))));
    expect(parseExecute(execute.body)).toEqual({ portal: 'glassbox: refused statement', maxRows: 0 });
  });

  it("rewrites the server's ERROR for a stand-in, but passes 25P02, FATAL and other messages on", () => {
    const verdict = { refusal: blockedError(rule) };
    const rewritten = refusedReply(frame(errorResponse('22P02', 'invalid input syntax')), verdict);
    expect(parseErrorFields(rewritten.body)).toMatchObject({
      S: 'ERROR',
      C: '42501',
      M: 'Glassbox blocked this statement: rule pg.drop (Dropping tables is not allowed). Ask an approver to change the policy.',
    });
    const aborted = frame(errorResponse('25P02', 'current transaction is aborted'));
    expect(refusedReply(aborted, verdict)).toBe(aborted);
    const fatal = frame(errorResponse('57P01', 'terminating connection', { S: 'FATAL' }));
    expect(refusedReply(fatal, verdict)).toBe(fatal);
    const complete = frame(new Writer().cstring('SELECT 1').frame('C'));
    expect(refusedReply(complete, verdict)).toBe(complete);
    const unrefused = frame(errorResponse('22012', 'division by zero'));
    expect(refusedReply(unrefused, {})).toBe(unrefused);
    expect(refusedReply(unrefused, undefined)).toBe(unrefused);
  });
});
