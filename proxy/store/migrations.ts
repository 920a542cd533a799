import type { Database } from 'better-sqlite3';

/**
 * Numbered schema migrations, applied in order and recorded in `PRAGMA user_version`.
 * Append new entries; never edit one that has shipped. Column meanings follow shared/DESIGN.md "Data model".
 */
const MIGRATIONS: readonly string[] = [
  // 1: sessions, the per-session hash-chained event log, in-flight exchanges and full-text search.
  `
  CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,          -- ULID
    kind          TEXT NOT NULL,             -- anthropic | postgres | http
    target        TEXT NOT NULL,             -- upstream host or connection name
    client        TEXT,                      -- user agent or application_name
    identity      TEXT NOT NULL,             -- JSON: subject, email, groups, verified, os_user, host, credential
    external_id   TEXT,                      -- e.g. x-claude-code-session-id
    started_at    INTEGER NOT NULL,          -- µs since epoch
    ended_at      INTEGER,                   -- µs since epoch
    last_event_at INTEGER NOT NULL,          -- µs since epoch, for idle grouping
    status        TEXT NOT NULL,             -- live | closed | interrupted
    stats         TEXT NOT NULL DEFAULT '{}',-- JSON counters
    head_seq      INTEGER NOT NULL DEFAULT 0,
    head_hash     TEXT NOT NULL              -- hash of the last event, or the session id when empty
  );
  CREATE INDEX sessions_started ON sessions (started_at DESC);
  CREATE INDEX sessions_external ON sessions (kind, external_id);
  CREATE INDEX sessions_status ON sessions (status);

  -- A rowid table: payloads are large, and SQLite stores large rows far better with a rowid than WITHOUT ROWID.
  CREATE TABLE events (
    id         INTEGER PRIMARY KEY,          -- storage order; links the full-text index
    session_id TEXT NOT NULL REFERENCES sessions (id),
    seq        INTEGER NOT NULL,             -- 1, 2, 3 … within the session
    ts         INTEGER NOT NULL,             -- µs since epoch
    kind       TEXT NOT NULL,                -- dotted, e.g. http.request, llm.turn
    payload    TEXT NOT NULL,                -- canonical JSON, already masked
    hash       TEXT NOT NULL,                -- sha256 hex, see chain.ts
    UNIQUE (session_id, seq)
  );

  -- Exchanges whose request is recorded but whose outcome is not yet sealed into the chain. Updated in place
  -- while a reply streams; sealed as one chained event when it ends, or as "interrupted" at the next start.
  CREATE TABLE inflight (
    session_id       TEXT NOT NULL REFERENCES sessions (id),
    request_seq      INTEGER NOT NULL,
    kind             TEXT NOT NULL,          -- the event kind it will be sealed as
    started_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    partial          TEXT NOT NULL,          -- JSON payload so far
    request_event_id INTEGER NOT NULL,       -- events.id of the request, for deferred full-text indexing
    request_text     TEXT,                   -- the request's searchable text, indexed when sealed
    PRIMARY KEY (session_id, request_seq)
  ) WITHOUT ROWID;                           -- one b-tree; it only ever holds the exchanges in flight

  -- Contentless full-text index over prompts, replies, tool calls and SQL; rowid = events.id. It keeps no
  -- copy of the text, and detail=none (no positions) suits word and prefix queries.
  CREATE VIRTUAL TABLE events_fts USING fts5 (text, content = '', detail = none, tokenize = 'unicode61');
  `,
  // 2: how far the write-ahead journal (journal.ts) has been applied; written in the same transaction as the
  // rows it covers, so replay after a crash applies each journaled write exactly once.
  `
  CREATE TABLE journal_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    generation  INTEGER NOT NULL,            -- journal file number
    byte_offset INTEGER NOT NULL             -- bytes of that file already applied
  );
  `,
  // 3: which way of deriving events' search text the full-text index was built with, and how far a rebuild
  // has come. Version 0 (what every database before it holds) indexed a request by its last message, which
  // for Claude Code is its system note; the engine re-indexes the stored events in the background when this
  // is older than it (search/event-text.ts, SEARCH_TEXT_VERSION; store/search-index.ts).
  `
  CREATE TABLE search_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL,
    rebuild_to INTEGER,                      -- events.id up to which a rebuild re-indexes; NULL when none runs
    rebuilt_to INTEGER                       -- events.id up to which it has (re-)indexed them
  );
  INSERT INTO search_state (id, version) VALUES (1, 0);
  `,
  // 4: a streaming reply is checkpointed by what is new (inflight-deltas.ts): each checkpoint appends a row of
  // deltas instead of rewriting the in-flight row, whose `partial` is now the outcome's first partial payload.
  `
  CREATE TABLE inflight_parts (
    id          INTEGER PRIMARY KEY,         -- write order; deltas are replayed in it
    session_id  TEXT NOT NULL,
    request_seq INTEGER NOT NULL,            -- the in-flight exchange (inflight.session_id, request_seq)
    ts          INTEGER NOT NULL,            -- µs since epoch, when the checkpoint was made
    deltas      TEXT NOT NULL                -- JSON array of deltas
  );
  CREATE INDEX inflight_parts_exchange ON inflight_parts (session_id, request_seq, id);
  `,
  // 5: PostgreSQL sessions count statements still awaiting their outcome (stats.awaiting_outcome, see
  // postgres/recorder.ts), so that recovery seals, once, what a session that ended still owes. Sessions an
  // older Glassbox ended get the count now — statements less the distinct ones a pg.result answers — so what
  // it left unanswered (a write lost to a full disk) is sealed as recording_failed at this start too.
  `
  UPDATE sessions SET stats = json_set(stats, '$.awaiting_outcome',
    (SELECT count(*) FROM events WHERE session_id = sessions.id AND kind = 'pg.statement')
    - (SELECT count(DISTINCT json_extract(payload, '$.statement_seq')) FROM events
       WHERE session_id = sessions.id AND kind = 'pg.result'))
  WHERE kind = 'postgres' AND status != 'live' AND json_extract(stats, '$.awaiting_outcome') IS NULL;
  `,
  // 6: just-in-time approvals (DESIGN.md, "Guardrails and just-in-time approvals"; policy/approvals/). One row
  // per approval, rewritten whole at each transition; the requesting session's chain holds the same story as
  // `approval.requested` and `approval.decided` events, so this table is an index, never the record.
  `
  CREATE TABLE approvals (
    id          TEXT PRIMARY KEY,            -- ap_ + 8 Crockford base32 characters
    session_id  TEXT NOT NULL,               -- the session that asked
    request_seq INTEGER NOT NULL,            -- the event in it that asked
    rule_id     TEXT NOT NULL,
    what        TEXT NOT NULL,               -- JSON: the approval's subject (masked operation, facts, rule, who)
    status      TEXT NOT NULL,               -- pending | approved | denied | expired | withdrawn
    requested_at INTEGER NOT NULL,           -- µs since epoch
    expires_at  INTEGER NOT NULL,            -- µs since epoch
    decided_at  INTEGER,                     -- µs since epoch
    decided_by  TEXT,                        -- JSON: os_user, email, subject, self_approved, via
    reason      TEXT,
    scope       TEXT                         -- JSON: {"type":"once"} | {"type":"session","until_us":…}
  );
  CREATE INDEX approvals_status ON approvals (status, requested_at DESC);
  `,
  // 7: the team mirror's bookkeeping (DESIGN.md, "Team server and mirroring"; sync/state.ts): per session, what
  // the team server acknowledged. The event log is the outbox; this only says how far it has been sent. Written
  // by the mirror on its own connection, not through the journal: it is a copy of the server's head, which the
  // mirror asks for again when a row is missing or behind.
  `
  CREATE TABLE sync_state (
    session_id      TEXT PRIMARY KEY,        -- sessions.id
    acked_seq       INTEGER NOT NULL,        -- the last seq the server acknowledged (0: none)
    acked_hash      TEXT NOT NULL,           -- its hash (the session id when acked_seq is 0)
    last_error      TEXT,                    -- one line, null after a success
    next_attempt_at INTEGER,                 -- ms since epoch, when a retry is due; null when none waits
    refused         INTEGER                  -- the local head_seq the server refused (422/403); null when not
  ) WITHOUT ROWID;
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to {@link SCHEMA_VERSION}, one transaction per migration.
 * @throws Error when the file was written by a newer Glassbox (user_version above ours).
 */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `the database schema is version ${current}, newer than this Glassbox understands (${SCHEMA_VERSION}); upgrade Glassbox`,
    );
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    const sql = MIGRATIONS[version]!;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
