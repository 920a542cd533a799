import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../proxy/anthropic/body.js';
import { prepareBody, recoveredSearchText, requestPayload } from '../../proxy/anthropic/request-body.js';
import { JsonText } from '../../proxy/common/json-text.js';
import { mayNameRequestBodySecrets } from '../../proxy/policy/secrets-in-content.js';
import { decodeJournalLine, encodeOps, journalLineText } from '../../proxy/store/journal-line.js';
import type { StoreOp } from '../../proxy/store/ops.js';
import { recoverInterrupted } from '../../proxy/store/recovery.js';
import { Store } from '../../proxy/store/store.js';
import { useStoreHome } from '../helpers/files.js';
import { TEST_IDENTITY as identity } from '../helpers/identity.js';

/** A live Anthropic session to append to. */
const openSession = (store: Store) =>
  store.createSession({ kind: 'anthropic', target: 't', client: 'c', identity, external_id: null });

const HEADERS = { 'x-api-key': 'sk-ant-…KEY1 #0123456789ab' };

/** A request payload as the proxy builds it for a body recorded before it is parsed. */
const unchecked = (body: string) =>
  JsonText.withUnchecked(
    `${JSON.stringify({ method: 'POST', path: '/v1/messages', headers: HEADERS, body_bytes: Buffer.byteLength(body) }).slice(0, -1)},`,
    'body',
    Buffer.from(body),
    '}',
  );

const event = (seq: number, payload: Extract<StoreOp, { op: 'event' }>['payload']): StoreOp => ({
  op: 'event',
  session_id: 's',
  seq,
  ts: seq,
  kind: 'http.request',
  payload,
  stats: '{}',
});

/** Encodes ops as the journal does and reads them back as the apply thread does (from the line's bytes). */
function roundTrip(ops: StoreOp[]): Array<Record<string, unknown>> {
  const line = encodeOps(ops);
  const bytes = typeof line === 'string' ? Buffer.from(line) : Buffer.concat(line);
  expect(bytes.includes(0x0a)).toBe(false);
  return decodeJournalLine(bytes).map((op) =>
    op.op === 'event' ? (op.value as Record<string, unknown>) : {},
  );
}

const large = (text: string) =>
  `{"model":"claude-sonnet-4-5","stream":true,"pad":"${'x'.repeat(20_000)}","t":${text}}`;

describe('request bodies recorded before they are parsed', () => {
  const paths = useStoreHome('glassbox-unchecked-');

  it('journals a valid body as its bytes and reads it back as the same value', () => {
    const body = large(JSON.stringify({ text: 'café 🦊', n: [1, 2.5, null] }));
    const line = encodeOps([{ op: 'reopen', session_id: 's' }, event(1, unchecked(body))]);
    expect(Array.isArray(line)).toBe(true);
    expect(journalLineText(line)).toMatch(/^\[\{"op":"unchecked","at":\[\d+,\d+,\d+\]\},\{"op":"reopen"/);
    const [, value] = roundTrip([{ op: 'reopen', session_id: 's' }, event(1, unchecked(body))]);
    expect(value).toEqual({
      method: 'POST',
      path: '/v1/messages',
      headers: HEADERS,
      body_bytes: Buffer.byteLength(body),
      body: JSON.parse(body),
    });
    // The text the store falls back to (no journal) is the same value.
    expect(JSON.parse(unchecked(body).text)).toEqual(value);
  });

  it('stores a body that is not JSON as text with the parser’s message, exactly as a body parsed first', () => {
    const broken = `{"model":"claude-sonnet-4-5","messages":[${'1,'.repeat(10_000)}oops`;
    const parsedFirst = readBody(Buffer.from(broken), broken.length, 'application/json', 1 << 20).recorded;
    const [value] = roundTrip([event(1, unchecked(broken))]);
    expect(value).toEqual({
      method: 'POST',
      path: '/v1/messages',
      headers: HEADERS,
      body_bytes: broken.length,
      body_raw: parsedFirst.body_raw,
      body_error: parsedFirst.body_error,
    });
    expect(value!.body_error).toMatch(/^invalid JSON: /);
    expect(JSON.parse(unchecked(broken).text)).toEqual(value);
  });

  it('never lets a crafted body add members to the payload around it', () => {
    // Spliced into its payload as is, this would parse and replace the recorded headers.
    const crafted = `1,"headers":{"x-api-key":"forged"},"pad":"${'y'.repeat(20_000)}"`;
    const [value, next] = roundTrip([event(1, unchecked(crafted)), event(2, unchecked(large('2')))]);
    expect(value).toMatchObject({ headers: HEADERS, body_raw: crafted });
    expect(next!.body).toEqual(JSON.parse(large('2')));
    expect(value).not.toHaveProperty('body');
    expect(JSON.parse(unchecked(crafted).text)).toMatchObject({ headers: HEADERS, body_raw: crafted });
  });

  it('stores a body nested deeper than canonical JSON allows as text', () => {
    const deep = `{"pad":"${'z'.repeat(20_000)}","x":${'['.repeat(600)}${']'.repeat(600)}}`;
    const [value] = roundTrip([event(1, unchecked(deep))]);
    expect(value).toMatchObject({ body_raw: deep, body_error: 'JSON nested deeper than 256 levels' });
  });

  it('refuses a line whose header names members it does not hold', () => {
    expect(() =>
      decodeJournalLine('[{"op":"unchecked","at":[0,5,9999]},{"op":"reopen","session_id":"s"}]'),
    ).toThrow(SyntaxError);
    expect(() => decodeJournalLine('[{"op":"unchecked","at":[0')).toThrow(SyntaxError);
  });

  for (const journaled of [true, false]) {
    it(`applies such bodies to SQLite with an intact chain (${journaled ? 'apply thread, then replay' : 'no journal'})`, async () => {
      let failThread: (() => Promise<void>) | undefined;
      const store = Store.open(
        paths().db,
        journaled
          ? {
              journalDir: paths().journalDir,
              applyDelayMs: 60_000,
              onApplyThreadStart: (fail) => {
                failThread = fail;
              },
              warn: () => undefined,
            }
          : {},
      );
      const session = openSession(store);
      const valid = large('"ok"');
      const broken = `${large('"ok"')}}`;
      store.append(session.id, 'http.request', unchecked(valid));
      store.append(session.id, 'http.request', unchecked(broken));
      if (journaled) {
        const journal = Buffer.concat(
          readdirSync(paths().journalDir).map((name) => readFileSync(join(paths().journalDir, name))),
        );
        expect(journal.includes(Buffer.from(broken))).toBe(true);
        // The apply thread held both lines; its failure makes this thread replay them from the file.
        await failThread!();
      }
      const payloads = store.listEvents(session.id).map((e) => e.payload as Record<string, unknown>);
      expect(payloads[0]!.body).toEqual(JSON.parse(valid));
      expect(payloads[1]).toMatchObject({
        body_raw: broken,
        body_error: expect.stringMatching(/^invalid JSON/),
      });
      expect(store.verifySession(session.id)).toMatchObject({ intact: true, events: 2 });
      store.close();
    });
  }

  it('indexes the search text of such a request cut short by a crash when recovery seals it', () => {
    const store = Store.open(paths().db, { journalDir: paths().journalDir });
    const session = openSession(store);
    const body = JSON.stringify({
      model: 'claude-sonnet-4-5',
      system: 'p'.repeat(20_000),
      messages: [{ role: 'user', content: 'where is recovered_needle' }],
    });
    const prepared = prepareBody(Buffer.from(body), 'application/json', 1 << 20, true);
    expect(prepared.searchText).toBeUndefined();
    store.appendRequest(
      session.id,
      'http.request',
      requestPayload('POST', '/v1/messages?beta=true', HEADERS, prepared),
      'llm.turn',
      (requestSeq) => ({ request_seq: requestSeq, outcome: 'streaming' }),
    );
    expect(store.listSessions({ text: 'recovered_needle' })).toEqual([]);
    expect(recoverInterrupted(store, [], recoveredSearchText)).toBe(1);
    expect(store.listSessions({ text: 'recovered_needle' }).map((s) => s.id)).toEqual([session.id]);
    expect(store.verifySession(session.id)).toMatchObject({ intact: true });
    store.close();
  });

  it('reads bodies before forwarding when they could name a credential, have line feeds, or are small', () => {
    const deferred = (body: string) =>
      prepareBody(Buffer.from(body), 'application/json', 1 << 20, true).unchecked;
    expect(deferred(large('1'))).toBeDefined();
    expect(deferred(large('1').replace('"pad"', '\n"pad"'))).toBeUndefined();
    expect(deferred('{"model":"m"}')).toBeUndefined();
    expect(prepareBody(Buffer.from(large('1')), 'text/plain', 1 << 20, true).unchecked).toBeUndefined();
    expect(prepareBody(Buffer.from(large('1')), 'application/json', 1_000, true).unchecked).toBeUndefined();
    expect(
      prepareBody(Buffer.from(large('1')), 'application/json', 1 << 20, true, 'gzip').unchecked,
    ).toBeUndefined();
    // mcp_servers in any spelling JSON allows: the body is parsed and its tokens fingerprinted first.
    for (const key of ['mcp_servers', 'mcp\\u005fservers', 'mcp\\u005Fservers', '\\u006Dcp_servers']) {
      const body = large(`{"a":1},"${key}":[{"authorization_token":"tok-secret-0123456789"}]`);
      expect(mayNameRequestBodySecrets(Buffer.from(body))).toBe(true);
      const prepared = prepareBody(Buffer.from(body), 'application/json', 1 << 20, true);
      expect(prepared.unchecked).toBeUndefined();
      expect(JSON.stringify(requestPayload('POST', '/v1/messages', {}, prepared))).not.toContain(
        '0123456789',
      );
    }
    // Escapes that cannot spell a name (terminal colours in a tool result) do not count.
    expect(mayNameRequestBodySecrets(Buffer.from(large('"\\u001b[31mred\\u001b[0m"')))).toBe(false);
  });

  it('reads a deferred body’s model, stream flag and search text when asked', () => {
    const body = JSON.stringify({
      model: 'claude-sonnet-4-5',
      stream: true,
      system: 'p'.repeat(20_000),
      messages: [{ role: 'user', content: 'find the glassbox_needle' }],
    });
    const prepared = prepareBody(Buffer.from(body), 'application/json', 1 << 20, true);
    expect(prepared.unchecked).toBeDefined();
    expect(prepared.searchText).toBeUndefined();
    expect(typeof prepared.request === 'function' && prepared.request()).toEqual({
      model: 'claude-sonnet-4-5',
      stream: true,
      searchText: 'find the glassbox_needle',
    });
  });
});
