-- Up Migration
-- The team server's schema, version 1. Times are µs since the epoch (bigint), as in the engines' stores, so a
-- mirrored event's ts is the very number its hash covers. Payloads are kept as the exact canonical JSON text the
-- chain hashes (text, not jsonb: jsonb would reorder and renormalise, and refuses \u0000), and searched through a
-- tsvector the server derives from each event's searchable text (prompts, replies, tool calls, SQL).

-- One row per mirrored session. owner_* is the person whose verified token first sent it: the only identity the
-- server believes. `identity` is what the engine recorded; identity_mismatch flags a disagreement with the token.
CREATE TABLE sessions (
  id                text PRIMARY KEY,           -- the engine's session id (ULID)
  owner_issuer      text NOT NULL,
  owner_subject     text NOT NULL,
  owner_email       text,
  owner_name        text,
  owner_groups      text[] NOT NULL DEFAULT '{}',
  kind              text NOT NULL,              -- anthropic | postgres | http
  target            text NOT NULL,
  client            text,
  identity          jsonb NOT NULL,             -- as recorded by the engine
  identity_mismatch boolean NOT NULL DEFAULT false,
  started_at        bigint NOT NULL,            -- µs since epoch
  ended_at          bigint,
  status            text NOT NULL,              -- live | closed | interrupted (as the engine last said)
  stats             jsonb NOT NULL DEFAULT '{}',
  head_seq          bigint NOT NULL DEFAULT 0,
  head_hash         text NOT NULL,              -- hash of the last stored event, or the session id
  first_received_at bigint NOT NULL,
  last_received_at  bigint NOT NULL
);
CREATE INDEX sessions_started ON sessions (started_at DESC, id DESC);
CREATE INDEX sessions_owner ON sessions (owner_subject, started_at DESC, id DESC);
CREATE INDEX sessions_owner_email ON sessions (lower(owner_email), started_at DESC);
CREATE INDEX sessions_groups ON sessions USING gin (owner_groups);
CREATE INDEX sessions_target ON sessions (target, started_at DESC);

-- The mirrored chains. (session_id, seq) is the key: a seq is stored once, never overwritten.
CREATE TABLE events (
  session_id  text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  seq         bigint NOT NULL,
  ts          bigint NOT NULL,                  -- µs since epoch
  kind        text NOT NULL,
  payload     text NOT NULL,                    -- canonical JSON, exactly as hashed
  hash        text NOT NULL,
  received_at bigint NOT NULL,
  search      tsvector,                         -- NULL for events without searchable text
  PRIMARY KEY (session_id, seq)
);
CREATE INDEX events_ts ON events (ts DESC);
CREATE INDEX events_kind ON events (kind, ts DESC);
CREATE INDEX events_search ON events USING gin (search) WHERE search IS NOT NULL;
-- Text filters combined with ORDER BY ts LIMIT otherwise walk events_ts for rare words.
ALTER TABLE events ALTER COLUMN search SET STATISTICS 2000;

-- What the server refused for integrity, listed prominently to auditors. Never deleted by retention.
CREATE TABLE integrity_alerts (
  id             bigserial PRIMARY KEY,
  session_id     text NOT NULL,
  seq            bigint NOT NULL,
  kind           text NOT NULL,                 -- hash_conflict | bad_chain | identity_mismatch
  stored_hash    text,                          -- the server's hash at that seq (hash_conflict)
  received_hash  text,
  reason         text NOT NULL,
  reporter_issuer  text NOT NULL,
  reporter_subject text NOT NULL,
  created_at     bigint NOT NULL,
  -- one alert per (session, seq, kind, received hash): a mirror retrying the same refused batch adds nothing
  UNIQUE (session_id, seq, kind, received_hash)
);
CREATE INDEX integrity_alerts_created ON integrity_alerts (created_at DESC);

-- Approvals routed to a group (proxy/sync/protocol.ts RoutedApproval).
CREATE TABLE approvals (
  id                  text PRIMARY KEY,         -- the engine's ap_… id
  session_id          text NOT NULL,
  request_seq         bigint NOT NULL,
  rule_id             text NOT NULL,
  group_name          text NOT NULL,
  allow_self_approval boolean NOT NULL,
  what                jsonb NOT NULL,
  requester           jsonb NOT NULL,           -- verified from the requesting engine's token
  requester_subject   text NOT NULL,
  status              text NOT NULL,            -- pending | approved | denied | expired | withdrawn
  requested_at        bigint NOT NULL,
  expires_at          bigint NOT NULL,
  decided_at          bigint,
  decided_by          jsonb,
  reason              text,
  scope               jsonb
);
CREATE INDEX approvals_pending ON approvals (group_name, status, requested_at DESC);

-- The team policy engines apply on top of their own (one current document; every version kept).
CREATE TABLE team_policy (
  version    bigserial PRIMARY KEY,
  document   jsonb NOT NULL,
  created_at bigint NOT NULL,
  created_by text NOT NULL
);

-- Down Migration
DROP TABLE team_policy;
DROP TABLE approvals;
DROP TABLE integrity_alerts;
DROP TABLE events;
DROP TABLE sessions;
