/**
 * The search benchmark's data set: many people's Claude and PostgreSQL sessions with realistic payloads
 * (test/helpers/team-sessions.ts shapes) whose words follow a Zipf distribution over a vocabulary, plus planted
 * rare words, bulk-inserted straight into the server's tables with real chain hashes and the tsvector the
 * server itself derives (to_tsvector('simple', mirroredEventText(…))), the way ingest stores them — only
 * without HTTP, so setting up a million events takes minutes, not the ingest benchmark's time.
 */
import type pg from 'pg';
import { canonicalJson } from '../../../proxy/sync/protocol.js';
import { mirroredEventText } from '../../../proxy/sync/search-text.js';
import { chainEvents, type DraftEvent } from '../../helpers/team-chain.js';
import { claudeSession, postgresSession } from '../../helpers/team-sessions.js';

/** What to generate. */
export interface DataShape {
  /** Events in total (approximately: whole sessions). */
  events: number;
  /** Events per session. */
  perSession: number;
  /** People owning the sessions (`user000`…), each in one of `groups` groups (`team-00`…). */
  people: number;
  groups: number;
  /** The issuer recorded as the owners'. */
  issuer: string;
}

/** Words planted in exactly {@link RARE_HITS} events each, to search for as rare words. */
export const RARE_WORDS = Array.from({ length: 20 }, (_, i) => `quokka${String.fromCharCode(97 + i)}zebra`);
export const RARE_HITS = 5;

/** A seeded PRNG (mulberry32), so every run builds the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = (
  'the to and a of in for is on that with this it be as file function test error table user data ' +
  'value query update config build run check fix add return import export type string number list ' +
  'request response server client session index schema column row select insert delete create ' +
  'migration deploy branch commit review ledger invoice account payment order customer report'
).split(' ');

/** Words the text is drawn from. */
const VOCABULARY_SIZE = 20_000;

/** A vocabulary of `size` words: common English/code words first, then pronounceable made-up ones. */
export function vocabulary(size = VOCABULARY_SIZE): string[] {
  const syllables = [
    'ka',
    'lo',
    'ren',
    'vi',
    'sto',
    'mar',
    'te',
    'qui',
    'dan',
    'por',
    'lek',
    'zu',
    'fa',
    'nim',
  ];
  const words = [...COMMON];
  for (let i = 0; words.length < size; i++) {
    let n = i;
    let word = '';
    do {
      word += syllables[n % syllables.length];
      n = Math.floor(n / syllables.length);
    } while (n > 0);
    words.push(`${word}${i % 7 === 0 ? 'ing' : ''}`);
  }
  return words;
}

/** Draws ranks with P(rank k) ∝ 1/k^s over `size` words (inverse CDF on a precomputed table). */
function zipf(size: number, s: number, next: () => number): () => number {
  const cdf = new Float64Array(size);
  let total = 0;
  for (let k = 0; k < size; k++) {
    total += 1 / (k + 1) ** s;
    cdf[k] = total;
  }
  return () => {
    const x = next() * total;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A generated session: its row fields and its chained events. */
export interface GeneratedSession {
  id: string;
  person: number;
  kind: 'anthropic' | 'postgres';
  startedAt: number;
  drafts: DraftEvent[];
}

/** The sessions of `shape`, deterministic, one at a time. */
export function* generateSessions(shape: DataShape): Generator<GeneratedSession> {
  const next = random(19);
  const words = vocabulary();
  const rank = zipf(words.length, 1.05, next);
  const phrase = (n: number) => Array.from({ length: n }, () => words[rank()]!).join(' ');
  const sessions = Math.ceil(shape.events / shape.perSession);
  const half = shape.perSession / 2;
  // Planted rare words: RARE_HITS events each, spread over the data set.
  const planted = new Map<number, string>();
  for (const word of RARE_WORDS)
    for (let i = 0; i < RARE_HITS; i++) planted.set(Math.floor(next() * sessions * half), word);
  const start = 1_780_000_000_000_000;
  const span = 90 * 86_400 * 1_000_000;
  for (let i = 0; i < sessions; i++) {
    const kind = i % 2 === 0 ? 'anthropic' : 'postgres';
    const startedAt = start + Math.floor((i / sessions) * span) + Math.floor(next() * 1_000_000);
    const plant = (j: number) => planted.get(i * half + j) ?? '';
    const drafts =
      kind === 'anthropic'
        ? claudeSession(
            Array.from({ length: half }, (_, j) => ({
              prompt: `${phrase(12 + Math.floor(next() * 20))} ${plant(j)}`.trim(),
              reply: phrase(20 + Math.floor(next() * 40)),
              ...(next() < 0.4 ? { command: `kubectl get pods -l app=${words[rank()]}` } : {}),
            })),
            startedAt,
          )
        : postgresSession(
            Array.from(
              { length: half },
              (_, j) =>
                `SELECT id, ${words[rank()]}, ${words[rank()]} FROM ${words[rank()]} WHERE ${words[rank()]} = '${phrase(3)} ${plant(j)}' ORDER BY id LIMIT 50`,
            ),
            startedAt,
          );
    yield { id: `S${String(i).padStart(7, '0')}`, person: i % shape.people, kind, startedAt, drafts };
  }
}

/** The person `n` of the data set. */
export function personOf(n: number, shape: DataShape) {
  const subject = `user${String(n).padStart(3, '0')}`;
  return {
    subject,
    email: `${subject}@example.test`,
    group: `team-${String(n % shape.groups).padStart(2, '0')}`,
  };
}

/**
 * Inserts `sessions` (a slice of the data set) into the server's tables on `client`, in one transaction:
 * the session rows with their heads, the events with their hashes and search vectors.
 */
export async function insertSessions(client: pg.PoolClient, shape: DataShape, sessions: GeneratedSession[]) {
  const now = Date.now() * 1000;
  const rows = { session: [] as string[], seq: [] as number[], ts: [] as number[], kind: [] as string[] };
  const payloads: string[] = [];
  const hashes: string[] = [];
  const texts: Array<string | null> = [];
  const heads: Array<{ seq: number; hash: string }> = [];
  for (const session of sessions) {
    const events = chainEvents(session.id, session.drafts);
    for (const event of events) {
      rows.session.push(session.id);
      rows.seq.push(event.seq);
      rows.ts.push(event.ts);
      rows.kind.push(event.kind);
      payloads.push(canonicalJson(event.payload));
      hashes.push(event.hash);
      texts.push(mirroredEventText(session.id, event.seq, event.kind, event.payload) ?? null);
    }
    heads.push({ seq: events.length, hash: events.at(-1)!.hash });
  }
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO sessions (id, owner_issuer, owner_subject, owner_email, owner_name, owner_groups, kind, target,
       client, identity, started_at, ended_at, status, stats, head_seq, head_hash, first_received_at, last_received_at)
     SELECT s.id, $1, s.subject, s.email, s.subject, ARRAY[s.grp], s.kind, s.target, s.client,
       jsonb_build_object('subject', s.subject, 'email', s.email, 'groups', '[]'::jsonb, 'verified', true,
         'os_user', 'dev', 'host', 'laptop'),
       s.started, s.started + 3600000000, 'closed', '{}', s.head_seq, s.head_hash, $2, $2
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[],
       $11::bigint[], $12::text[]) AS s (id, subject, email, grp, kind, target, client, started, head_seq, head_hash)`,
    [
      shape.issuer,
      now,
      sessions.map((s) => s.id),
      sessions.map((s) => personOf(s.person, shape).subject),
      sessions.map((s) => personOf(s.person, shape).email),
      sessions.map((s) => personOf(s.person, shape).group),
      sessions.map((s) => s.kind),
      sessions.map((s) => (s.kind === 'postgres' ? 'app/appdb' : 'api.anthropic.com')),
      sessions.map((s) => (s.kind === 'postgres' ? 'psql' : 'claude-cli/2.0.0')),
      sessions.map((s) => s.startedAt),
      heads.map((h) => h.seq),
      heads.map((h) => h.hash),
    ],
  );
  await client.query(
    `INSERT INTO events (session_id, seq, ts, kind, payload, hash, received_at, search)
     SELECT e.session_id, e.seq, e.ts, e.kind, e.payload, e.hash, $1,
            CASE WHEN e.text IS NULL THEN NULL ELSE to_tsvector('simple', e.text) END
     FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[])
          AS e (session_id, seq, ts, kind, payload, hash, text)`,
    [now, rows.session, rows.seq, rows.ts, rows.kind, payloads, hashes, texts],
  );
  await client.query('COMMIT');
}
